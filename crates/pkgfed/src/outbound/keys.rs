//! The package keys the delivery worker signs with, parsed once and kept by package
//! id. A key rotation ([`crate::packages::rotate`]) forgets the old one before the
//! `Update` announcing the new key is queued, so nothing is signed with a key the
//! actor document no longer shows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pkgfed_protocol::keys::RsaPrivateKey;

/// Parsed signing keys by package id. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct SigningKeys(Arc<Inner>);

#[derive(Default)]
struct Inner {
    keys: Mutex<HashMap<i64, Arc<RsaPrivateKey>>>,
    /// Bumped by every [`SigningKeys::forget`]: a key read from the store before a
    /// rotation is not kept after it.
    generation: AtomicU64,
}

impl SigningKeys {
    /// The cached key of `package_id`.
    pub fn get(&self, package_id: i64) -> Option<Arc<RsaPrivateKey>> {
        self.0.keys.lock().ok()?.get(&package_id).cloned()
    }

    /// The generation to pass to [`SigningKeys::insert`]: read it before reading the
    /// key from the store.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// Keeps `key` for `package_id`, unless a key was forgotten since `generation`
    /// was read (the key may be the one a rotation just replaced).
    pub fn insert(&self, package_id: i64, key: Arc<RsaPrivateKey>, generation: u64) {
        if let Ok(mut m) = self.0.keys.lock()
            && self.0.generation.load(Ordering::Acquire) == generation
        {
            m.insert(package_id, key);
        }
    }

    /// Forgets every key (another process rotated one: which is not known here).
    pub fn forget_all(&self) {
        if let Ok(mut m) = self.0.keys.lock() {
            self.0.generation.fetch_add(1, Ordering::AcqRel);
            m.clear();
        }
    }

    /// Forgets `package_id`'s key: the next delivery reads it from the store.
    pub fn forget(&self, package_id: i64) {
        if let Ok(mut m) = self.0.keys.lock() {
            self.0.generation.fetch_add(1, Ordering::AcqRel);
            m.remove(&package_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_read_before_a_rotation_is_not_kept() {
        let keys = SigningKeys::default();
        let old = Arc::new(RsaPrivateKey::generate().unwrap());
        let before = keys.generation();
        keys.forget(7); // the rotation lands while a delivery reads the old key
        keys.insert(7, old.clone(), before);
        assert!(keys.get(7).is_none(), "the stale key is not cached");
        keys.insert(7, old, keys.generation());
        assert!(keys.get(7).is_some());
    }
}
