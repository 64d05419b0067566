//! The interface between pkgfed's watcher and a package registry.
//!
//! A [`RegistryAdapter`] answers two questions about one package: "what does the
//! registry say now, if anything changed since these validators?" ([`check`]) and
//! "does this package exist, and what is it?" ([`lookup`], used when someone looks a
//! package up for the first time). Adapters that can read a registry-wide change feed
//! also implement [`changes`], so the watcher can check only the tracked packages a
//! feed mentions instead of polling every one.
//!
//! Adapters know nothing about the database, followers or ActivityPub: they turn a
//! registry's wire format into a [`Snapshot`]. The watcher compares snapshots with
//! what it stored to find new, yanked and deprecated versions. Every HTTP request an
//! adapter makes goes through its registry's [`RateLimiter`](crate::RateLimiter), so
//! lazy lookups and scheduled checks share one budget.
//!
//! [`check`]: RegistryAdapter::check
//! [`lookup`]: RegistryAdapter::lookup
//! [`changes`]: RegistryAdapter::changes

use std::time::Duration;

use crate::{Ecosystem, PackageId};

/// HTTP validators from the last successful fetch of a package, sent back as
/// `If-None-Match` / `If-Modified-Since` so an unchanged package costs a 304.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The `ETag` the registry sent, verbatim (including `W/` and quotes).
    pub etag: Option<String>,
    /// The `Last-Modified` the registry sent, verbatim.
    pub last_modified: Option<String>,
}

/// What a [`RegistryAdapter::check`] found.
#[derive(Clone, Debug, PartialEq)]
// One value per check, moved once: boxing the snapshot would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum CheckOutcome {
    /// The registry answered 304: nothing changed, nothing was parsed.
    NotModified,
    /// The package's current state, with the validators to send next time.
    Changed {
        /// Every version the registry lists, with metadata.
        snapshot: Snapshot,
        /// Validators of this response.
        validators: Validators,
    },
}

/// A package as the registry describes it at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Package-level metadata; fields the registry's format lacks are `None`.
    pub metadata: PackageMetadata,
    /// Every version the registry lists (yanked ones included, marked), in no
    /// particular order; the watcher sorts with [`crate::versions`].
    pub versions: Vec<VersionInfo>,
}

/// Package-level metadata, used for the actor's profile and the release post.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageMetadata {
    /// The name as the registry spells it (`Django`, `@types/node`).
    pub name: String,
    /// One-line description.
    pub description: Option<String>,
    /// Project homepage URL.
    pub homepage: Option<String>,
    /// Source repository URL.
    pub repository: Option<String>,
    /// Licence expression or name.
    pub license: Option<String>,
    /// Changelog URL, when the registry names one.
    pub changelog: Option<String>,
}

/// One version of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version string exactly as the registry lists it.
    pub version: String,
    /// When it was published, in Unix seconds, when the registry says.
    pub published_at: Option<i64>,
    /// Withdrawn by its publisher (cargo/PyPI `yanked`). A version that disappears
    /// from an npm packument is simply absent from the snapshot.
    pub yanked: bool,
    /// The registry's reason for the yank, when it gives one (PyPI).
    pub yanked_reason: Option<String>,
    /// npm's per-version `deprecated` message.
    pub deprecated: Option<String>,
}

/// One page of a registry-wide change feed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    /// Packages the feed says changed since the cursor, as the registry spells them
    /// (may repeat, may include packages nobody tracks).
    pub packages: Vec<String>,
    /// The cursor to pass next time; opaque to the watcher.
    pub cursor: Option<String>,
    /// `true` when the feed cannot prove it covers everything since `cursor` (the
    /// cursor is older than the feed's window, or there was none): the watcher then
    /// polls every tracked package once, as if there were no feed.
    pub gap: bool,
}

/// Why a registry request failed. The watcher counts errors per package and backs
/// off the whole registry on [`RegistryError::RateLimited`] and
/// [`RegistryError::Unavailable`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry says the package does not exist (404/410).
    #[error("the registry has no package {name:?}")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// 429: slow down. The registry's limiter already waits `retry_after` (or a
    /// default) before its next request.
    #[error("the registry rate-limited the request (retry after {retry_after:?})")]
    RateLimited {
        /// From `Retry-After`, when present.
        retry_after: Option<Duration>,
    },
    /// 5xx, or a connection/timeout error: the registry is having trouble.
    #[error("the registry is unavailable: {reason}")]
    Unavailable {
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// What happened, for the operator.
        reason: String,
        /// From `Retry-After` on a 503, when present.
        retry_after: Option<Duration>,
    },
    /// A response pkgfed cannot use: unexpected status, bad JSON/XML, missing
    /// fields. Counts against the package, not the registry.
    #[error("unusable registry response: {reason}")]
    Malformed {
        /// What was wrong.
        reason: String,
    },
}

/// One registry, as the watcher sees it. Implementations are cheap to share
/// (`Arc<dyn RegistryAdapter>`) and safe to call concurrently.
#[async_trait::async_trait]
pub trait RegistryAdapter: Send + Sync {
    /// The ecosystem whose packages this adapter serves.
    fn ecosystem(&self) -> Ecosystem;

    /// Fetches the package's current state unless it is unchanged since
    /// `validators` (then [`CheckOutcome::NotModified`], without parsing).
    async fn check(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<CheckOutcome, RegistryError>;

    /// Whether the package exists, and its metadata if so (`Ok(None)` for a clean
    /// "no such package"). Used for actors created on first lookup.
    async fn lookup(&self, package: &PackageId) -> Result<Option<PackageMetadata>, RegistryError>;

    /// Reads the registry's change feed from `cursor`. `None` when this adapter or
    /// its configuration has no change feed: the watcher then polls.
    async fn changes(&self, cursor: Option<&str>) -> Option<Result<ChangeBatch, RegistryError>> {
        let _ = cursor;
        None
    }

    /// The public web page of the package (and version, when given) from the
    /// configured URL template, for links in posts. `None` when not configured.
    fn package_page(&self, package: &PackageId, version: Option<&str>) -> Option<String>;
}
