//! Actors created on first lookup: a WebFinger query or actor GET for a package pkgfed
//! does not know yet asks its registry (through the registry's rate limit) whether it
//! exists, and creates the actor with the registry's metadata if it does.
//!
//! "No such package" answers are remembered for `watch.negative_cache_seconds`, and an
//! instance can restrict what may be created with `watch.allow` / `watch.deny`
//! package URL patterns. Lookups wait for the rate limit at most [`MAX_WAIT`]; past
//! that the caller gets 503 and can retry, instead of holding a request open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pkgfed_registries::{Ecosystem, PackageId, handle, parse_purl};

use crate::config::WatchSettings;
use crate::error::{Error, Result};
use crate::packages;
use crate::registries::Registries;
use crate::store::{Package, SharedStore};

/// What creating actors on first lookup uses. Cheap to clone.
#[derive(Clone)]
pub struct FirstLookup {
    /// Where package actors are stored.
    pub store: SharedStore,
    /// The registries asked whether a package exists.
    pub registries: Registries,
    /// The settings it reads.
    pub settings: Arc<LookupSettings>,
    /// Negative answers and per-registry locks, shared by every request.
    pub lazy: Arc<LazyLookups>,
}

/// The settings of first-lookup creation.
#[derive(Clone, Debug)]
pub struct LookupSettings {
    /// Enabled ecosystems.
    pub ecosystems: Vec<Ecosystem>,
    /// `[watch]` (allow/deny patterns, negative cache).
    pub watch: WatchSettings,
}

/// Longest a lookup waits for its registry before answering 503.
pub const MAX_WAIT: Duration = Duration::from_secs(10);
/// Most negative answers remembered; when full, expired ones are dropped first, then
/// all.
const NEGATIVE_CAPACITY: usize = 100_000;

/// Negative answers and the per-registry lock that keeps one lookup per name in
/// flight.
#[derive(Default)]
pub struct LazyLookups {
    negative: Mutex<HashMap<(Ecosystem, String), Instant>>,
    locks: HashMap<Ecosystem, tokio::sync::Mutex<()>>,
}

impl LazyLookups {
    /// One lock per ecosystem.
    pub fn new() -> Self {
        Self {
            negative: Mutex::default(),
            locks: Ecosystem::ALL
                .into_iter()
                .map(|e| (e, tokio::sync::Mutex::new(())))
                .collect(),
        }
    }

    fn is_negative(&self, key: &(Ecosystem, String), ttl: Duration) -> bool {
        let map = self.negative.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).is_some_and(|at| at.elapsed() < ttl)
    }

    fn remember_negative(&self, key: (Ecosystem, String), ttl: Duration) {
        let mut map = self.negative.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= NEGATIVE_CAPACITY {
            map.retain(|_, at| at.elapsed() < ttl);
            if map.len() >= NEGATIVE_CAPACITY {
                map.clear();
            }
        }
        map.insert(key, Instant::now());
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether the instance allows creating this package on lookup.
pub fn allowed(state: &FirstLookup, purl: &str) -> bool {
    let w = &state.settings.watch;
    let purl = purl.to_ascii_lowercase();
    let matches = |p: &String| glob(&p.to_ascii_lowercase(), &purl);
    (w.allow.is_empty() || w.allow.iter().any(matches)) && !w.deny.iter().any(matches)
}

/// Finds a package by handle, creating it from its registry when it exists there.
pub async fn find_or_create_by_handle(
    state: &FirstLookup,
    handle_text: &str,
) -> Result<Option<Package>> {
    let eco = &state.settings.ecosystems;
    if let Some(p) = packages::find_by_handle(&state.store, eco, handle_text).await? {
        return Ok(Some(p));
    }
    let (ecosystem, key) = match handle::from_handle(handle_text, eco) {
        Ok(found) => found,
        Err(pkgfed_registries::Error::NonCanonicalHandle { canonical, .. }) => {
            match handle::from_handle(&canonical, eco) {
                Ok(found) => found,
                Err(_) => return Ok(None),
            }
        }
        Err(_) => return Ok(None),
    };
    // A Cargo handle is the key, in which `-` became `_`: try the name as written,
    // then with dashes, which is how most crates with separators are spelled.
    let mut candidates = vec![key.clone()];
    if ecosystem == Ecosystem::Cargo && key.contains('_') {
        candidates.push(key.replace('_', "-"));
    }
    for name in candidates {
        let Ok(id) = PackageId::new(ecosystem, &name) else {
            continue;
        };
        if let Some(p) = create(state, &id).await? {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// Finds a package by purl, creating it from its registry when it exists there.
pub async fn find_or_create_by_purl(state: &FirstLookup, purl: &str) -> Result<Option<Package>> {
    let (id, _) = parse_purl(purl).map_err(|e| Error::BadRequest(e.to_string()))?;
    if !state.settings.ecosystems.contains(&id.ecosystem()) {
        return Ok(None);
    }
    if let Some(p) = state
        .store
        .package_by_key(id.ecosystem(), &id.key())
        .await?
    {
        return Ok(Some(p));
    }
    create(state, &id).await
}

async fn create(state: &FirstLookup, id: &PackageId) -> Result<Option<Package>> {
    let Some(registry) = state.registries.get(id.ecosystem()) else {
        return Ok(None);
    };
    if !allowed(state, &id.purl()) {
        tracing::debug!(purl = %id.purl(), "not created on lookup: excluded by watch.allow/deny");
        return Ok(None);
    }
    let key = (id.ecosystem(), id.key());
    let ttl = state.settings.watch.negative_cache;
    if state.lazy.is_negative(&key, ttl) {
        return Ok(None);
    }
    let lock = state
        .lazy
        .locks
        .get(&id.ecosystem())
        .ok_or_else(|| Error::Internal("no lookup lock for the ecosystem".into()))?;
    let lookup = async {
        let _one_at_a_time = lock.lock().await;
        // Someone else may have answered while this one waited.
        if let Some(p) = state
            .store
            .package_by_key(id.ecosystem(), &id.key())
            .await?
        {
            return Ok(Some(p));
        }
        if state.lazy.is_negative(&key, ttl) {
            return Ok(None);
        }
        match registry.adapter.lookup(id).await {
            Ok(Some(meta)) => {
                let name = if meta.name.is_empty() {
                    id.name()
                } else {
                    &meta.name
                };
                let id = PackageId::new(id.ecosystem(), name).unwrap_or_else(|_| id.clone());
                let meta = packages::meta_from(&meta);
                match packages::add(&state.store, &state.settings.ecosystems, &id.purl(), meta)
                    .await
                {
                    Ok(p) => {
                        tracing::info!(purl = %p.purl, handle = %p.handle, "package actor created on first lookup");
                        Ok(Some(p))
                    }
                    Err(Error::Conflict(_)) => Ok(state
                        .store
                        .package_by_key(id.ecosystem(), &id.key())
                        .await?),
                    Err(e) => Err(e),
                }
            }
            Ok(None) => {
                state.lazy.remember_negative(key.clone(), ttl);
                Ok(None)
            }
            Err(e) => Err(Error::Unavailable(format!(
                "could not ask the {} registry whether {} exists: {e}; try again later",
                id.ecosystem(),
                id.purl()
            ))),
        }
    };
    match tokio::time::timeout(MAX_WAIT, lookup).await {
        Ok(result) => result,
        Err(_) => Err(Error::Unavailable(format!(
            "the {} registry is busy (rate limit); try again in a few seconds",
            id.ecosystem()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_stars_anywhere() {
        assert!(glob("pkg:cargo/serde*", "pkg:cargo/serde_json"));
        assert!(glob("pkg:npm/%40myorg/*", "pkg:npm/%40myorg/tool"));
        assert!(!glob("pkg:npm/%40myorg/*", "pkg:npm/%40other/tool"));
        assert!(glob("*", "anything"));
        assert!(glob("pkg:*/left*pad", "pkg:npm/left-pad"));
        assert!(!glob("pkg:cargo/serde", "pkg:cargo/serde_json"));
        assert!(glob("pkg:cargo/serde", "pkg:cargo/serde"));
    }
}
