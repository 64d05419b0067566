//! Package lookups from the web (WebFinger, actor GETs, the search page) under the
//! lookup limits: a package already known is found without touching a bucket; only
//! a lookup that may create one (and so ask its registry) takes a token first.

use pkgfed_registries::parse_purl;

use super::Requester;
use crate::error::{Error, Result};
use crate::packages::{self, lazy};
use crate::store::Package;
use crate::web::AppState;

/// The package with this handle; created from its registry, within `who`'s lookup
/// limits, when not known yet.
pub async fn by_handle(state: &AppState, who: &Requester, handle: &str) -> Result<Option<Package>> {
    let eco = &state.settings.ecosystems;
    if let Some(p) = packages::find_by_handle(&state.store, eco, handle).await? {
        return Ok(Some(p));
    }
    state.limits().lookup(who)?;
    lazy::find_or_create_by_handle(&state.lookups, handle).await
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
