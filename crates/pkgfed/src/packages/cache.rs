//! A microcache of the package actors that WebFinger and actor GETs find, and of
//! each one's serialized actor document.
//!
//! Without it every such GET reads the package row through SQLite's worker thread
//! (a message there and back: two thread wake-ups), most of the CPU of a
//! GET (docs/benchmarks.md, "AP GETs"). An entry is kept for at most [`TTL`], like a
//! cached page, so a change made by another process (the watcher's metadata update
//! in a cluster worker, a CLI command) shows within it. A key rotation drops every
//! entry at once: [`crate::packages::rotate`] bumps the signing keys' generation
//! (`SigningKeys::forget`) before it queues the `Update{actor}`, entries remember
//! the generation they were read under, and one from before the bump is never
//! served (other processes bump theirs when they notice the rotation,
//! `outbound::generations`, and their entries expire within [`TTL`] anyway). Only
//! packages that exist are kept; a lookup that finds nothing goes to the store (and
//! its limits) every time.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;

use crate::microcache::Microcache;
use crate::store::Package;

/// Longest an entry is served.
pub const TTL: Duration = Duration::from_secs(1);

/// Most entries kept (when full, expired ones are dropped, else all).
const MAX_ENTRIES: usize = 4_096;

/// A package as read from the store, and its actor document once rendered.
pub struct CachedPackage {
    /// The package row.
    pub package: Package,
    actor_json: OnceLock<Bytes>,
}

impl CachedPackage {
    /// `package`, not kept in any cache (its document is still rendered once).
    pub fn uncached(package: Package) -> Arc<Self> {
        Arc::new(Self {
            package,
            actor_json: OnceLock::new(),
        })
    }

    /// The serialized actor document, rendered by `render` the first time.
    pub fn actor_json(&self, render: impl FnOnce(&Package) -> Vec<u8>) -> Bytes {
        self.actor_json
            .get_or_init(|| Bytes::from(render(&self.package)))
            .clone()
    }
}

/// Found packages by the handle they were asked for, each under the signing keys'
/// generation it was read under.
pub struct PackageCache {
    entries: Microcache<Arc<CachedPackage>>,
}

impl Default for PackageCache {
    fn default() -> Self {
        Self {
            entries: Microcache::new(TTL, MAX_ENTRIES),
        }
    }
}

impl PackageCache {
    /// The package asked for as `handle`, when an entry read under `generation` (the
    /// signing keys' current one) is fresh.
    pub fn get(&self, handle: &str, generation: u64) -> Option<Arc<CachedPackage>> {
        self.entries.get(handle, generation)
    }

    /// Keeps `package`, found as `handle` by a store read that began under
    /// `generation`, and returns it. Read the generation before the store: a row read
    /// before a rotation is then kept under the old generation and never served.
    pub fn put(&self, handle: &str, package: Package, generation: u64) -> Arc<CachedPackage> {
        let cached = CachedPackage::uncached(package);
        self.entries.put(handle, cached.clone(), generation);
        cached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PackageMeta;
    use pkgfed_registries::Ecosystem;

    fn package(handle: &str) -> Package {
        Package {
            id: 1,
            ecosystem: Ecosystem::Cargo,
            name_key: handle.into(),
            name: handle.into(),
            handle: handle.into(),
            purl: format!("pkg:cargo/{handle}"),
            meta: PackageMeta::default(),
            private_key_pem: String::new(),
            public_key_pem: "old".into(),
            created_at: 0,
        }
    }

    #[test]
    fn entries_are_kept_per_generation_and_bounded() {
        let c = PackageCache::default();
        c.put("cargo.serde", package("cargo.serde"), 7);
        assert!(c.get("cargo.serde", 7).is_some());
        assert!(c.get("cargo.log", 7).is_none());
        assert!(c.get("cargo.serde", 8).is_none(), "a rotation since");
        for i in 0..(MAX_ENTRIES + 10) {
            c.put(&format!("p{i}"), package("p"), 8);
        }
        assert!(c.entries.len() <= MAX_ENTRIES);
    }

    #[test]
    fn the_actor_document_is_rendered_once() {
        let c = PackageCache::default();
        let cached = c.put("cargo.serde", package("cargo.serde"), 0);
        let mut renders = 0;
        for _ in 0..3 {
            let doc = cached.actor_json(|p| {
                renders += 1;
                p.public_key_pem.clone().into_bytes()
            });
            assert_eq!(&doc[..], b"old");
        }
        assert_eq!(renders, 1);
    }
}
