//! The one error enum of the protocol crate.
//!
//! Each area has a precise kind enum of its own ([`SignatureError`],
//! [`FetchError`], [`KeyError`]); this enum gathers them so callers can use `?`
//! across areas and map to an HTTP status in one place.

pub use crate::fetch::FetchError;
pub use crate::keys::KeyError;
pub use crate::signatures::SignatureError;

/// Anything the protocol crate can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An HTTP signature was missing, malformed, stale or did not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A remote fetch was refused or failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A key could not be generated, parsed or used.
    #[error(transparent)]
    Key(#[from] KeyError),
}
