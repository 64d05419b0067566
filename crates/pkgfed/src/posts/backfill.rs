//! What a new follower receives: the package's most recent posts (count
//! `delivery.backfill_count`, default 3) and the Creates of its open advisories that
//! affect its newest version, even when older. The outbox queues them
//! (`crate::outbound::outbox::backfill`).

use pkgfed_registries::PackageId;
use pkgfed_registries::advisories::matching;
use pkgfed_registries::advisories::model::Advisory;
use pkgfed_registries::versions;

use crate::store::watch::ReleaseState;
use crate::store::{OutboxItem, Package, SharedStore, StoreResult};

/// The backfill of `package`: its `count` most recent outbox items plus its open
/// advisories (nothing when `count` is 0).
pub async fn items(
    store: &SharedStore,
    package: &Package,
    count: u32,
) -> StoreResult<Vec<OutboxItem>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut items = store.recent_outbox(package.id, count).await?;
    // Open advisories affecting the newest version come along even when older
    // than the most recent posts.
    for a in open_advisories(store, package).await? {
        if !items.iter().any(|i| i.activity_id == a.activity_id) {
            items.push(a);
        }
    }
    Ok(items)
}

/// The Creates of the package's open advisories that affect its newest version
/// (part of a new follower's backfill).
async fn open_advisories(store: &SharedStore, package: &Package) -> StoreResult<Vec<OutboxItem>> {
    let posted = store.posted_advisories(package.id).await?;
    if posted.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(id) = PackageId::new(package.ecosystem, &package.name) else {
        return Ok(Vec::new());
    };
    let releases = store.releases(package.id).await?;
    let live = releases
        .iter()
        .filter(|r| r.state != ReleaseState::Yanked)
        .map(|r| r.version.as_str());
    let Some(newest) = versions::newest(package.ecosystem, live, false) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (advisory_id, item) in posted {
        if let Some(stored) = store.advisory(&advisory_id).await?
            && let Ok(adv) = Advisory::from_osv_json(stored.record.as_bytes(), &advisory_id)
            && !adv.is_withdrawn()
            && matching::is_affected(&adv, &id, newest)
        {
            out.push(item);
        }
    }
    Ok(out)
}
