//! Package ecosystems for pkgfed: package URLs, name normalisation and actor handles.
//!
//! pkgfed makes every package a followable actor. This crate answers the naming
//! questions that come with that, without knowing about HTTP, ActivityPub or the
//! database: is this a valid package name, which spellings are the same package,
//! what is its package URL (purl), and what is its username on the fediverse.
//!
//! ```
//! use pkgfed_registries::{Ecosystem, PackageId, handle, parse_purl};
//!
//! let pkg = PackageId::new(Ecosystem::Npm, "@types/node")?;
//! assert_eq!(pkg.purl(), "pkg:npm/%40types/node");
//! assert_eq!(handle::to_handle(&pkg, true), "types__node");
//! assert_eq!(handle::to_handle(&pkg, false), "npm.types__node");
//! assert_eq!(
//!     handle::from_handle("Types__Node", &[Ecosystem::Npm])?,
//!     (Ecosystem::Npm, pkg.key()),
//! );
//! assert_eq!(parse_purl("pkg:npm/%40types/node@22.10.1")?, (pkg, Some("22.10.1".into())));
//! # Ok::<(), pkgfed_registries::Error>(())
//! ```
//!
//! # Layout
//! - [`Ecosystem`] (`ecosystem.rs`): the supported ecosystems, named by purl type.
//! - [`PackageId`] and [`parse_purl`] (`package.rs`): validated names, identity
//!   keys and package URLs; `package/rules.rs` holds each ecosystem's naming rules.
//! - [`handle`] (`handle.rs`): the reversible package ↔ username scheme, with the
//!   npm escape (`handle/npm_escape.rs`) and the SHA-256 used for over-long names
//!   (`handle/digest.rs`). `docs/handles.md` explains it for operators and users.
//! - [`adapter`] (`adapter.rs`): the [`adapter::RegistryAdapter`] interface the
//!   watcher calls, and the snapshot types adapters return.
//! - [`versions`] (`versions.rs`): version ordering per ecosystem (SemVer, PEP 440).
//! - [`RateLimiter`] (`rate_limit.rs`): one request budget and health counters per
//!   registry, shared by every request to it.
//! - [`adapters`] (`adapters/`): the adapters for Cargo sparse indexes, npm
//!   registries, PyPI-style registries and Atom/RSS releases feeds, over one
//!   rate-limited conditional HTTP layer (`adapters/http.rs`).
//! - [`advisories`] (`advisories/`): security advisories — the OSV-shaped model,
//!   RustSec-style files, range matching per ecosystem, and the directory and
//!   OSV API sources.
//! - `fixtures` (feature `fixtures`): a loopback fixture registry server for tests.
//! - `fuzzing` (feature `fuzzing`): the private response parsers exposed to the
//!   fuzz targets in `fuzz/`; not a supported API.
//! - [`Error`] (`error.rs`): the crate's one error enum for names, purls and
//!   handles; registry requests fail with [`adapter::RegistryError`].

pub mod adapter;
pub mod adapters;
pub mod advisories;
mod ecosystem;
mod error;
#[cfg(feature = "fixtures")]
pub mod fixtures;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod handle;
mod package;
mod rate_limit;
pub mod versions;

pub use ecosystem::Ecosystem;
pub use error::Error;
pub use package::{PackageId, parse_purl};
pub use rate_limit::{LimiterHealth, RESPONSE_CLASSES, RateLimiter};
