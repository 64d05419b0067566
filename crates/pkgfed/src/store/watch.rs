//! What the registry watcher persists: per-package watch state, every version seen,
//! the posts made about them and per-registry change-feed state. Everything the
//! watcher knows survives a restart, so a restart neither re-announces nor skips.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;
use pkgfed_registries::adapter::Validators;
use serde::Serialize;

use super::{PackageMeta, StoreResult};

/// One watched package's schedule and change-detection state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchRow {
    /// The package.
    pub package_id: i64,
    /// Its ecosystem (which registry checks it).
    pub ecosystem: Ecosystem,
    /// Whether the first check (the baseline) has been recorded since tracking began.
    pub baseline_done: bool,
    /// Validators of the last successful fetch.
    pub validators: Validators,
    /// Current check interval (adaptive), milliseconds.
    pub interval_ms: i64,
    /// When the next check is due (Unix ms).
    pub next_check_at: i64,
    /// Failed checks in a row.
    pub consecutive_errors: i64,
    /// Hash of the metadata last applied to the actor.
    pub metadata_hash: Option<String>,
    /// Last successful check (Unix ms).
    pub last_success_at: Option<i64>,
    /// Last time a check found a new version (Unix ms).
    pub last_change_at: Option<i64>,
    /// Newest publish time the registry listed (Unix seconds), for the adaptive
    /// interval when the registry answers 304.
    pub newest_release_at: Option<i64>,
}

/// The outcome of one check, written back in one statement.
#[derive(Clone, Debug, Default)]
pub struct CheckUpdate {
    /// Validators to send next time (None: keep the stored ones).
    pub validators: Option<Validators>,
    /// New interval.
    pub interval_ms: i64,
    /// Next check.
    pub next_check_at: i64,
    /// When this check ran.
    pub checked_at: i64,
    /// Success (reset the error counter) or the error text (count it).
    pub error: Option<String>,
    /// Set the baseline as recorded.
    pub baseline_done: bool,
    /// Whether a new version was found.
    pub changed: bool,
    /// New metadata hash, when the metadata was applied.
    pub metadata_hash: Option<String>,
    /// Newest publish time in the snapshot (None: keep the stored one).
    pub newest_release_at: Option<i64>,
}

/// What a version's row says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// There before watching began: never posted.
    Baseline,
    /// Has a live post.
    Announced,
    /// Not posted by setting (a prerelease with prereleases off) or already yanked
    /// when first seen.
    Skipped,
    /// Withdrawn; its post, if it had one, was deleted.
    Yanked,
}

impl ReleaseState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Baseline => "baseline",
            ReleaseState::Announced => "announced",
            ReleaseState::Skipped => "skipped",
            ReleaseState::Yanked => "yanked",
        }
    }

    /// From the stored text (unknown text reads as `Skipped`, which posts nothing).
    pub fn parse(s: &str) -> Self {
        match s {
            "baseline" => ReleaseState::Baseline,
            "announced" => ReleaseState::Announced,
            "yanked" => ReleaseState::Yanked,
            _ => ReleaseState::Skipped,
        }
    }
}

/// One version of a watched package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReleaseRow {
    /// The version as the registry spells it.
    pub version: String,
    /// Its state.
    pub state: ReleaseState,
    /// Whether the ecosystem's rules call it a prerelease.
    pub prerelease: bool,
    /// npm's deprecation message, once pkgfed has acted on it.
    pub deprecated: Option<String>,
    /// The live post about it.
    pub note_id: Option<String>,
    /// How many posts were made about it (an un-yank posts again, with a new id).
    pub posts_made: i64,
    /// Publish time from the registry (Unix seconds).
    pub published_at: Option<i64>,
}

/// A Note pkgfed published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostRow {
    /// The Note's id (its URL).
    pub note_id: String,
    /// The package that posted it.
    pub package_id: i64,
    /// `release` or `advisory`.
    pub kind: String,
    /// The version it is about, for release posts.
    pub version: Option<String>,
    /// The Note, JSON.
    pub object: String,
    /// The Create that published it.
    pub create_id: String,
    /// When it was deleted (Unix ms), if it was.
    pub deleted_at: Option<i64>,
}

/// Packages whose tracking changed in a reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackingChanges {
    /// Gained their first follower: watching starts (with a fresh baseline).
    pub tracked: Vec<i64>,
    /// Lost their last follower: watching stops.
    pub untracked: Vec<i64>,
}

/// One registry's watch figures, for the health view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WatchCounts {
    /// Tracked packages.
    pub tracked: u64,
    /// Tracked packages due now (the backlog).
    pub due: u64,
    /// Tracked packages whose last check failed.
    pub erroring: u64,
    /// Tracked packages more than one interval late: the registry's rate limit
    /// cannot keep up with the schedule.
    pub overdue: u64,
    /// Most recent successful check of any package (Unix ms).
    pub last_success_at: Option<i64>,
}

/// Per-registry state kept across restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryState {
    /// Change-feed cursor.
    pub feed_cursor: Option<String>,
    /// Last change-feed read (Unix ms).
    pub last_feed_at: Option<i64>,
}

/// Persistence of the registry watcher.
#[async_trait]
pub trait WatchStore: Send + Sync {
    /// Starts watching packages that gained a follower and stops watching those that
    /// lost their last one. Newly tracked packages are due at `first_check_at` with
    /// `interval_ms` and a fresh baseline.
    async fn reconcile_tracking(
        &self,
        interval_ms: i64,
        first_check_at: i64,
    ) -> StoreResult<TrackingChanges>;
    /// Claims up to `limit` tracked packages of `ecosystem` due at `now_ms` and not
    /// claimed by another worker, most overdue first, with a lease until
    /// `now_ms + lease_ms`: until it expires (the worker died) or the check is saved,
    /// no other worker on the database checks them.
    async fn claim_due_watches(
        &self,
        ecosystem: Ecosystem,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> StoreResult<Vec<WatchRow>>;
    /// Returns claimed packages that were not checked (a worker stopping mid-batch).
    async fn unclaim_watches(&self, package_ids: &[i64]) -> StoreResult<()>;
    /// When the next package of `ecosystem` becomes claimable: the earliest
    /// `next_check_at` of a tracked package, or the end of its lease when later.
    async fn next_due(&self, ecosystem: Ecosystem) -> StoreResult<Option<i64>>;
    /// One package's watch row.
    async fn watch(&self, package_id: i64) -> StoreResult<Option<WatchRow>>;
    /// Writes a check's outcome and ends its claim. A mark made while the check ran (`next_check_at`
    /// later than `update.checked_at`) is kept: the check may have read the registry
    /// before the change the mark was for.
    async fn save_check(&self, package_id: i64, update: &CheckUpdate) -> StoreResult<()>;
    /// Makes tracked packages of `ecosystem` with these name keys due at `now_ms`
    /// (change feed); returns how many. `now_ms` is stored as is (not the earlier of
    /// it and the schedule) so that a check already running sees the mark.
    async fn mark_due(
        &self,
        ecosystem: Ecosystem,
        keys: &[String],
        now_ms: i64,
    ) -> StoreResult<u64>;
    /// Makes every tracked package of `ecosystem` due at `now_ms` (a change feed with
    /// a gap, an operator's re-check); returns how many. As [`Self::mark_due`].
    async fn mark_all_due(&self, ecosystem: Ecosystem, now_ms: i64) -> StoreResult<u64>;
    /// Every version recorded for a package.
    async fn releases(&self, package_id: i64) -> StoreResult<Vec<ReleaseRow>>;
    /// Inserts or replaces one version's row.
    async fn put_release(&self, package_id: i64, row: &ReleaseRow, now_ms: i64) -> StoreResult<()>;
    /// Inserts a post, or replaces its object (an Update).
    async fn put_post(&self, post: &PostRow, now_ms: i64) -> StoreResult<()>;
    /// Marks a post deleted and takes its Create out of the public outbox.
    async fn delete_post(&self, note_id: &str, now_ms: i64) -> StoreResult<()>;
    /// A post by its Note id (deleted ones too: they answer 410).
    async fn post(&self, note_id: &str) -> StoreResult<Option<PostRow>>;
    /// Replaces a package's metadata.
    async fn update_package_meta(&self, package_id: i64, meta: &PackageMeta) -> StoreResult<()>;
    /// Per-registry counts at `now_ms`.
    async fn watch_counts(&self, ecosystem: Ecosystem, now_ms: i64) -> StoreResult<WatchCounts>;
    /// Per-registry persisted state.
    async fn registry_state(&self, ecosystem: Ecosystem) -> StoreResult<RegistryState>;
    /// Stores the change-feed cursor.
    async fn set_feed_cursor(
        &self,
        ecosystem: Ecosystem,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<()>;
}
