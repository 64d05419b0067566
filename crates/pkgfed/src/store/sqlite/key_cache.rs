//! The in-memory copy of `remote_keys` rows that spares every signed inbox POST a
//! query (see [`KeyCache`]).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::CachedKey;

/// Most remote keys kept in memory (about 1 KiB each); when full it starts over.
const KEY_CACHE_CAPACITY: usize = 4096;

/// `remote_keys` rows this process has read or written, by key id.
///
/// Every signed inbox POST looks up its key, and a query costs several round trips to
/// a connection's worker thread (about a sixth of the CPU of a POST). The table
/// changes only through this store (`put_cached_key`, `remove_actor`; the CLI never
/// touches it), which updates this copy after each change. `generation` counts those
/// changes so that a row read before a change is not remembered after it. A poisoned
/// lock only turns the cache off: every lookup then goes to the database.
#[derive(Default)]
pub(super) struct KeyCache(Mutex<Inner>);

#[derive(Default)]
struct Inner {
    keys: HashMap<String, CachedKey>,
    generation: u64,
}

impl Inner {
    fn remember(&mut self, k: &CachedKey) {
        if self.keys.len() >= KEY_CACHE_CAPACITY && !self.keys.contains_key(&k.key_id) {
            self.keys.clear();
        }
        self.keys.insert(k.key_id.clone(), k.clone());
    }
}

impl KeyCache {
    /// The cached row for `key_id`, or (`Err`) the generation to hand to
    /// [`Self::remember_read`] once the row has been read from the database.
    pub(super) fn lookup(&self, key_id: &str) -> Result<CachedKey, u64> {
        match self.0.lock() {
            Ok(cache) => match cache.keys.get(key_id) {
                Some(k) => Ok(k.clone()),
                None => Err(cache.generation),
            },
            Err(_) => Err(u64::MAX),
        }
    }

    /// Keeps a row read from the database, unless the table changed since `generation`.
    pub(super) fn remember_read(&self, k: &CachedKey, generation: u64) {
        if let Ok(mut cache) = self.0.lock()
            && cache.generation == generation
        {
            cache.remember(k);
        }
    }

    /// Records a row this store has just written.
    pub(super) fn written(&self, k: &CachedKey) {
        if let Ok(mut cache) = self.0.lock() {
            cache.generation += 1;
            cache.remember(k);
        }
    }

    /// Forgets every key of an actor whose rows this store has just deleted.
    pub(super) fn forget_actor(&self, actor_id: &str) {
        if let Ok(mut cache) = self.0.lock() {
            cache.generation += 1;
            cache.keys.retain(|_, k| k.actor_id != actor_id);
        }
    }
}
