//! What the advisory watcher persists: advisories deduplicated by id and aliases,
//! one post per advisory and package, per-package baselines and source state.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;

use super::StoreResult;

/// A stored advisory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAdvisory {
    /// Canonical id (the first id it was seen under).
    pub advisory_id: String,
    /// The advisory as OSV JSON.
    pub record: String,
    /// Its `modified`, Unix seconds.
    pub modified: i64,
    /// Withdrawn.
    pub withdrawn: bool,
}

/// What pkgfed did about an advisory for one package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryPostRow {
    /// The package.
    pub package_id: i64,
    /// Canonical advisory id.
    pub advisory_id: String,
    /// `recorded`, `posted` or `deleted`.
    pub state: String,
    /// The post, when one was made.
    pub note_id: Option<String>,
    /// Hash of what the post says (an Update is sent when it changes).
    pub revision: String,
}

/// Persistence of the advisory watcher.
#[async_trait]
pub trait AdvisoryStore: Send + Sync {
    /// The canonical id of the stored advisory known under any of `ids`.
    async fn canonical_advisory(&self, ids: &[String]) -> StoreResult<Option<String>>;
    /// The stored advisory with this canonical id.
    async fn advisory(&self, advisory_id: &str) -> StoreResult<Option<StoredAdvisory>>;
    /// Stores (or replaces) an advisory, maps all of `ids` to it, records the
    /// packages (ecosystem, normalised name) it names and marks it pending.
    async fn put_advisory(
        &self,
        advisory: &StoredAdvisory,
        ids: &[String],
        packages: &[(Ecosystem, String)],
        now_ms: i64,
    ) -> StoreResult<()>;
    /// Canonical ids of advisories stored (or changed) but not yet acted on.
    async fn pending_advisories(&self) -> StoreResult<Vec<String>>;
    /// Marks an advisory acted on for every package it names.
    async fn advisory_acted_on(&self, advisory_id: &str) -> StoreResult<()>;
    /// The stored advisories that name this package.
    async fn advisories_naming(
        &self,
        ecosystem: Ecosystem,
        name_key: &str,
    ) -> StoreResult<Vec<StoredAdvisory>>;
    /// The packages pkgfed has (tracked or not) that a stored advisory names.
    async fn packages_named_by(&self, advisory_id: &str) -> StoreResult<Vec<i64>>;
    /// The post row of an advisory for a package.
    async fn advisory_post(
        &self,
        package_id: i64,
        advisory_id: &str,
    ) -> StoreResult<Option<AdvisoryPostRow>>;
    /// Inserts or replaces a post row.
    async fn put_advisory_post(&self, row: &AdvisoryPostRow, now_ms: i64) -> StoreResult<()>;
    /// Tracked packages whose release baseline is done but whose advisory baseline
    /// is not.
    async fn packages_needing_advisory_baseline(&self) -> StoreResult<Vec<i64>>;
    /// Marks a package's advisory baseline done.
    async fn advisory_baseline_done(&self, package_id: i64, now_ms: i64) -> StoreResult<()>;
    /// Tracked packages with their advisory baseline done.
    async fn advisory_tracked_packages(&self) -> StoreResult<Vec<i64>>;
    /// The package's live (posted, not withdrawn) advisory posts: canonical id and
    /// the outbox entry of their Create, oldest first.
    async fn posted_advisories(
        &self,
        package_id: i64,
    ) -> StoreResult<Vec<(String, super::OutboxItem)>>;
    /// A source's persisted state (JSON).
    async fn advisory_source_state(&self, source: &str) -> StoreResult<Option<String>>;
    /// Stores a source's state.
    async fn set_advisory_source_state(&self, source: &str, state: &str) -> StoreResult<()>;
}
