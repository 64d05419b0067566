//! The package keys the delivery worker signs with, parsed once and kept by package
//! id. A key rotation ([`crate::packages::rotate`]) forgets the old one before the
//! `Update` announcing the new key is queued, so nothing is signed with a key the
//! actor document no longer shows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pkgfed_protocol::keys::RsaPrivateKey;

/// Parsed signing keys by package id. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct SigningKeys(Arc<Mutex<HashMap<i64, Arc<RsaPrivateKey>>>>);

impl SigningKeys {
    /// The cached key of `package_id`.
    pub fn get(&self, package_id: i64) -> Option<Arc<RsaPrivateKey>> {
        self.0.lock().ok()?.get(&package_id).cloned()
    }

    /// Keeps `key` for `package_id`.
    pub fn insert(&self, package_id: i64, key: Arc<RsaPrivateKey>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(package_id, key);
        }
    }

    /// Forgets `package_id`'s key: the next delivery reads it from the store.
    pub fn forget(&self, package_id: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&package_id);
        }
    }
}
