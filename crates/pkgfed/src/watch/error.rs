//! What can go wrong while watching registries and advisory sources, with the failure
//! underneath kept as the source. These end up in logs and events, never in an HTTP
//! answer (the admin API's health view fails only with the store).

use pkgfed_registries::advisories::AdvisoryError;

use crate::error::Error;
use crate::outbound::OutboundError;
use crate::store::StoreError;

/// A watcher failure.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A post could not be queued.
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// A stored package's name is not valid for its ecosystem.
    #[error("stored package is invalid: {0}")]
    InvalidPackage(#[source] pkgfed_registries::Error),
    /// The registry listed no versions for a package with announced releases (taken
    /// as a bad answer rather than a reason to withdraw every post).
    #[error("the registry listed no versions for a package with announced releases")]
    NoVersions,
    /// `advisories.osv_api_url` cannot be used.
    #[error("{0}")]
    OsvApiConfig(#[source] pkgfed_registries::adapters::ConfigError),
    /// The OSV API did not answer usefully.
    #[error("the OSV API: {0}")]
    OsvApi(#[source] AdvisoryError),
    /// An advisory directory could not be read.
    #[error("reading {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: AdvisoryError,
    },
    /// A stored advisory record cannot be read back.
    #[error("{0}")]
    Advisory(#[source] AdvisoryError),
    /// Source state or a record could not be written as JSON.
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// A blocking task (a directory scan) panicked or was cancelled.
    #[error("{0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Result alias of the watcher.
pub type Result<T, E = WatchError> = std::result::Result<T, E>;

impl From<WatchError> for Error {
    fn from(e: WatchError) -> Self {
        match e {
            WatchError::Store(e) => e.into(),
            WatchError::Outbound(e) => e.into(),
            other => Error::Failed(Box::new(other)),
        }
    }
}
