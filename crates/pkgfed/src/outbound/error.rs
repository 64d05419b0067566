//! What can go wrong on the outbound path, with the failure underneath kept as the
//! source. A failed delivery attempt is not an error (it is classified and
//! recorded); these are failures to queue, sign or record.

use crate::error::Error;
use crate::store::StoreError;

/// An outbound failure.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An activity without an id cannot be queued (the id makes queueing idempotent).
    #[error("an outbound activity needs an id")]
    NoActivityId,
    /// The package whose key signs a delivery was removed.
    #[error("package {package_id} of {activity_id} is gone")]
    PackageGone {
        /// The package.
        package_id: i64,
        /// The activity being delivered.
        activity_id: String,
    },
    /// A package's stored key cannot be read.
    #[error("package key unusable: {0}")]
    PackageKey(#[source] pkgfed_protocol::keys::KeyError),
    /// The recorder task has ended (the runtime is shutting down).
    #[error("the delivery recorder has stopped")]
    RecorderStopped,
    /// The recorder dropped an attempt without answering.
    #[error("the delivery recorder dropped an attempt")]
    AttemptDropped,
    /// The store answered for fewer attempts than it was given.
    #[error("the store recorded fewer attempts than given")]
    RecordedFewer,
}

/// Result alias of the outbound path.
pub type Result<T, E = OutboundError> = std::result::Result<T, E>;

impl From<OutboundError> for Error {
    fn from(e: OutboundError) -> Self {
        match e {
            OutboundError::Store(e) => e.into(),
            other => Error::Failed(Box::new(other)),
        }
    }
}
