//! Package lookups from the web (WebFinger, actor GETs, the search page) under the
//! lookup limits: a package already known is found without touching a bucket; only
//! a lookup that may create one (and so ask its registry) takes a token first.
//! Packages found by handle are kept for a second (`packages::cache`).

use std::sync::Arc;

use pkgfed_registries::parse_purl;

use super::Requester;
use crate::error::{Error, Result};
use crate::packages::cache::CachedPackage;
use crate::packages::{self, lazy};
use crate::store::Package;
use crate::web::AppState;

/// The package with this handle; created from its registry, within `who`'s lookup
/// limits, when not known yet.
pub async fn by_handle(state: &AppState, who: &Requester, handle: &str) -> Result<Option<Package>> {
    Ok(cached_by_handle(state, who, handle)
        .await?
        .map(|c| c.package.clone()))
}

/// [`by_handle`], served from the package cache when it holds the handle.
pub async fn cached_by_handle(
    state: &AppState,
    who: &Requester,
    handle: &str,
) -> Result<Option<Arc<CachedPackage>>> {
    let cache = state.package_cache();
    // Read before the store: a row read before a key rotation is not served after it.
    let generation = state.outbound.keys.generation();
    if let Some(cached) = cache.get(handle, generation) {
        return Ok(Some(cached));
    }
    let eco = &state.settings.ecosystems;
    let found = match packages::find_by_handle(&state.store, eco, handle).await? {
        Some(p) => Some(p),
        None => {
            state.limits().lookup(who)?;
            lazy::find_or_create_by_handle(&state.lookups, handle).await?
        }
    };
    Ok(found.map(|p| cache.put(handle, p, generation)))
}

/// The package with this package URL; created from its registry, within `who`'s
/// lookup limits, when not known yet.
pub async fn by_purl(state: &AppState, who: &Requester, purl: &str) -> Result<Option<Package>> {
    let (id, _) = parse_purl(purl).map_err(|e| Error::BadRequest(e.to_string()))?;
    if let Some(p) = state
        .store
        .package_by_key(id.ecosystem(), &id.key())
        .await?
    {
        return Ok(Some(p));
    }
    state.limits().lookup(who)?;
    lazy::find_or_create_by_purl(&state.lookups, purl).await
}
