//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off by default).
//!
//! The registry response parsers are private to their adapters: in production
//! they only run on a body the adapter fetched itself. The fuzz targets need to
//! hand them arbitrary bytes directly, so this module exposes each one as a thin
//! function over the very code the adapters call. Nothing here is part of the
//! crate's supported API; it exists only when the `fuzzing` feature is on.

use crate::PackageId;
use crate::adapter::{ChangeBatch, RegistryError, Snapshot, VersionInfo};
use crate::adapters::{cargo, feed, npm, pypi, xml};

/// A Cargo sparse-index file (one JSON object per line), as the cargo adapter
/// reads it: the versions and the registry's spelling of the name.
pub fn cargo_index(
    bytes: &[u8],
    package: &PackageId,
) -> Result<(Vec<VersionInfo>, String), RegistryError> {
    cargo::parse_index(bytes, package)
}

/// An npm packument, as the npm adapter reads it.
pub fn npm_packument(bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
    npm::parse_packument(bytes, package)
}

/// A PyPI JSON API project document, as the PyPI adapter reads it.
pub fn pypi_json(bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
    pypi::json_api::parse(bytes, package)
}

/// A PyPI Simple API project page in its JSON form (PEP 691), as the PyPI
/// adapter reads it.
pub fn pypi_simple(bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
    pypi::simple::parse(bytes, package)
}

/// The registry-wide PyPI updates feed (RSS), as the change-feed reader reads it.
pub fn pypi_updates(bytes: &[u8], cursor: Option<&str>) -> Result<ChangeBatch, RegistryError> {
    pypi::updates::read(bytes, cursor)
}

/// An Atom or RSS releases feed, read as the feed adapter does: the feed, then
/// each entry title turned into a version of `package`. Returns the versions
/// the adapter would see.
pub fn releases_feed(bytes: &[u8], package: &str) -> Result<Vec<String>, RegistryError> {
    let parsed = xml::parse_feed(bytes, "the fuzzed feed")?;
    Ok(parsed
        .entries
        .iter()
        .map(|entry| feed::version_from_title(&entry.title, package))
        .collect())
}
