//! What the people-facing pages and feeds read: a package's most recent releases and
//! the advisories naming it, each in one bounded query (a package page must stay
//! cheap however many versions a package has).

use async_trait::async_trait;

use super::Package;
use super::StoreResult;
use super::advisory::StoredAdvisory;
use super::watch::ReleaseRow;

/// A release as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentRelease {
    /// The version's row.
    pub row: ReleaseRow,
    /// When pkgfed first saw it (Unix ms).
    pub seen_at: i64,
    /// When its post was deleted because it was yanked (Unix ms), if it had one.
    pub yanked_at: Option<i64>,
}

/// An advisory naming a package, with what pkgfed did about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageAdvisory {
    /// The stored advisory.
    pub advisory: StoredAdvisory,
    /// The post about it for this package, when one was made and not withdrawn.
    pub note_id: Option<String>,
    /// When pkgfed last stored a change of it (Unix ms).
    pub stored_at: i64,
}

/// Reads of the pages and feeds.
#[async_trait]
pub trait PageStore: Send + Sync {
    /// The package's `limit` newest releases, newest first (by publish time, then by
    /// when they were seen).
    async fn recent_releases(&self, package_id: i64, limit: u32)
    -> StoreResult<Vec<RecentRelease>>;
    /// The `limit` most recently modified advisories naming the package.
    async fn package_advisories(
        &self,
        package: &Package,
        limit: u32,
    ) -> StoreResult<Vec<PackageAdvisory>>;
}
