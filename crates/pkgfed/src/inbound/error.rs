//! Why the inbound pipeline refused or failed a request, with the failure underneath
//! kept as the source. `web::error` decides the HTTP status of each, in one place.

use crate::error::Error;
use crate::outbound::OutboundError;
use crate::store::StoreError;

/// An inbound refusal or failure.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Missing, unsupported or invalid signature, or a signer that cannot be resolved.
    #[error("{0}")]
    Unauthorized(String),
    /// Refused by policy (a blocked domain).
    #[error("{0}")]
    Forbidden(String),
    /// The body is larger than `federation.max_body_bytes`.
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body's content type is not an ActivityStreams JSON type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A side effect could not be queued (the `Accept`, the backfill).
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// Finding the followed package failed.
    #[error(transparent)]
    Packages(#[from] Error),
}

/// Result alias of the inbound pipeline.
pub type Result<T, E = InboundError> = std::result::Result<T, E>;
