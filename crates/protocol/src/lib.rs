//! Framework-free ActivityPub protocol pieces for pkgfed.
//!
//! Nothing here knows about the web framework or the database: the application
//! crate wires these parts into its HTTP handlers and store.
//!
//! # Layout
//! - [`activitystreams`]: serde helpers for loose fediverse JSON (one-or-many values,
//!   `as:Public` aliases, string-or-object references) and the shapes pkgfed reads.
//! - [`keys`]: RSA-2048 key generation, PEM import/export, public keys of every
//!   algorithm pkgfed verifies (RSA, Ed25519).
//! - [`signatures`]: HTTP message signatures — draft-cavage-12 and RFC 9421 — signing
//!   and verification, plus `Digest` / `Content-Digest` body digests.
//! - [`fetch`]: an SSRF-safe HTTP fetcher for remote actor documents and deliveries.
//! - [`error`]: the crate's error enum.
//! - `fuzzing` (feature `fuzzing`): the structured-field parser exposed to the fuzz
//!   targets in `fuzz/`; not a supported API.

pub mod activitystreams;
pub mod error;
pub mod fetch;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod keys;
pub mod signatures;

pub use error::Error;
