//! Security advisories: one model for OSV records and RustSec-style advisories,
//! range evaluation per ecosystem, and the sources pkgfed reads them from.
//!
//! - [`model`]: [`Advisory`], normalised from the OSV schema (and what RustSec
//!   files convert to), with helpers for fixed versions, CVSS and dedup ids.
//! - [`matching`]: whether an advisory names a package ([`affects`]) and which
//!   versions it affects ([`is_affected`], [`affected_versions`]), evaluating OSV
//!   `SEMVER`/`ECOSYSTEM` ranges with each ecosystem's version order.
//! - [`rustsec`]: RustSec-style Markdown files with TOML front matter.
//! - [`source`]: [`DirectorySource`] (a directory or git checkout, re-read
//!   incrementally) and [`OsvApiSource`] (an OSV-compatible query API).
//! - [`cvss`]: the CVSS 3.x base score from a vector.
//!
//! Nothing here posts, stores or deduplicates across sources: the caller keeps
//! each source's state ([`DirectoryState`], [`ApiState`], both serde) and
//! deduplicates by [`Advisory::ids`].

pub mod cvss;
pub mod matching;
pub mod model;
pub mod rustsec;
pub mod source;

pub use matching::{affected_versions, affects, is_affected, newest_affected};
pub use model::{Advisory, AdvisoryError};
pub use rustsec::parse_rustsec;
pub use source::{
    ApiPoll, ApiState, DirectorySource, DirectoryState, OsvApiConfig, OsvApiSource, ScanResult,
};
