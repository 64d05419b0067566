//! The application's one error enum. `web::error` maps it to HTTP statuses, in one
//! place; the CLI prints its message.

use crate::store::StoreError;

/// Anything a request or command can fail with. Messages say what was wrong and,
/// where it helps, what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// Missing, unsupported or invalid signature, or a signer that cannot be
    /// resolved (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Refused by policy, e.g. a blocked domain (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (404).
    #[error("{0}")]
    NotFound(String),
    /// No representation matches the `Accept` header (406).
    #[error(
        "no acceptable representation: ask for application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\" or text/html"
    )]
    NotAcceptable,
    /// The body is larger than the configured limit (413).
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body's content type is not an ActivityStreams JSON type (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The client sent the request too slowly (408).
    #[error("{0}")]
    RequestTimeout(String),
    /// The client (a host or an IP) is over its rate limit; it may retry after the
    /// given number of seconds (429 with `Retry-After`).
    #[error("{message}")]
    TooManyRequests {
        /// Which limit, and what to do.
        message: String,
        /// Seconds until the bucket has a token again.
        retry_after_seconds: u64,
    },
    /// The resource existed and was deleted (410).
    #[error("{0}")]
    Gone(String),
    /// A dependency (a package registry) cannot answer now; retry later (503).
    #[error("{0}")]
    Unavailable(String),
    /// A unique record exists already (409).
    #[error("{0}")]
    Conflict(String),
    /// The store failed (500; details logged, not sent).
    #[error(transparent)]
    Store(StoreError),
    /// Anything else internal (500; details logged, not sent).
    #[error("{0}")]
    Internal(String),
    /// A subsystem failed (outbound, watcher); its error is the source (500; details
    /// logged, not sent).
    #[error(transparent)]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Error::Conflict(m),
            other => Error::Store(other),
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;
