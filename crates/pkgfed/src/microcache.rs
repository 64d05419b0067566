//! A map of values kept for at most a time to live and bounded in entries, each
//! tagged with the generation of the data it was made from: a value from another
//! generation is never served. The page cache (`web::pages::cache`) and the package
//! cache (`packages::cache`) are both one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Values by key, for at most `ttl` each, at most `max` of them.
pub struct Microcache<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
    ttl: Duration,
    max: usize,
}

struct Entry<V> {
    at: Instant,
    generation: u64,
    value: V,
}

impl<V: Clone> Microcache<V> {
    /// An empty cache.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
            max,
        }
    }

    /// The value of `key`, when fresh and made under `generation`.
    pub fn get(&self, key: &str, generation: u64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        (e.generation == generation && e.at.elapsed() < self.ttl).then(|| e.value.clone())
    }

    /// Keeps `value` for `key`, made under `generation`. When full, the entries that
    /// can no longer be served are dropped first, else all.
    pub fn put(&self, key: &str, value: V, generation: u64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max && !entries.contains_key(key) {
            let ttl = self.ttl;
            entries.retain(|_, e| e.generation == generation && e.at.elapsed() < ttl);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(
            key.to_owned(),
            Entry {
                at: Instant::now(),
                generation,
                value,
            },
        );
    }

    /// Drops every entry.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// Entries held (fresh or not).
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
