//! [`Advisory`]: one security advisory, in the shape of the OSV schema.
//!
//! Field names follow the OSV schema, so an OSV JSON record deserialises into
//! [`Advisory`] directly ([`Advisory::from_osv_json`]) and serialises back into
//! OSV JSON, with one extension: RustSec-style advisories state affected
//! versions as SemVer requirements, kept in [`Affected::semver_requirements`]
//! (serialised as `pkgfed_semver_requirements`).
//!
//! Parsing is lenient where the schema allows variety (unknown fields are
//! ignored, `null` lists are empty, unknown range and severity types are kept
//! by name) and strict where pkgfed depends on a value: `id` and `modified` must
//! be present, timestamps must be RFC 3339, and every range event must be one
//! of `introduced`, `fixed`, `last_affected` and `limit`. A record that breaks
//! these is an [`AdvisoryError::Invalid`] naming the file and the field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

mod queries;
mod semver_req;
#[cfg(test)]
mod tests;
mod timestamp;

use super::cvss::{self, Rating};
use crate::adapter::RegistryError;
use crate::package::rules;
use crate::{Ecosystem, PackageId, parse_purl};

/// Why advisories could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdvisoryError {
    /// A file or response that is not a usable advisory.
    #[error("{file}: invalid advisory at {field}: {message}")]
    Invalid {
        /// The file (or URL) it came from.
        file: String,
        /// Where in the document: `modified`, `affected[0].ranges[1].events[2]`;
        /// `the document` for syntax errors.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A file or directory that could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's error.
        message: String,
    },
    /// A request to an advisory API failed.
    #[error("advisory API request failed: {0}")]
    Http(#[from] RegistryError),
}

impl AdvisoryError {
    /// Builds [`AdvisoryError::Invalid`] from a serde error with its path.
    pub(crate) fn from_path_error<E: fmt::Display>(
        file: &str,
        e: serde_path_to_error::Error<E>,
    ) -> Self {
        let path = e.path().to_string();
        AdvisoryError::Invalid {
            file: file.to_owned(),
            field: if path == "." || path == "?" {
                "the document".to_owned()
            } else {
                path
            },
            message: e.inner().to_string(),
        }
    }
}

pub use semver_req::{SemverReq, SemverRequirements};
pub use timestamp::Timestamp;

/// `null` or missing reads as the default (an empty list).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One security advisory (an OSV record).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The advisory's id in its database: `GHSA-…`, `RUSTSEC-2024-0001`,
    /// `PYSEC-…`, `CVE-…`.
    pub id: String,
    /// When the record last changed; a new value means the advisory changed.
    pub modified: Timestamp,
    /// When it was first published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<Timestamp>,
    /// When it was withdrawn; a withdrawn advisory never matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Timestamp>,
    /// Other ids of the same vulnerability (CVE, GHSA…).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// Ids of related but different vulnerabilities.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub related: Vec<String>,
    /// A one-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The full description (Markdown in most databases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Severity scores of the whole advisory.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// The affected packages and their versions.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// Database-specific extras (GHSA puts its `severity` word here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// A severity score: for the CVSS types the score is the vector string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`…
    #[serde(rename = "type")]
    pub kind: SeverityType,
    /// The vector (CVSS) or the database's word.
    pub score: String,
}

/// The type of a [`Severity`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SeverityType {
    /// `CVSS_V2`.
    CvssV2,
    /// `CVSS_V3` (v3.0 and v3.1).
    CvssV3,
    /// `CVSS_V4`.
    CvssV4,
    /// Any other type, by name.
    Other(String),
}

impl From<String> for SeverityType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "CVSS_V2" => SeverityType::CvssV2,
            "CVSS_V3" => SeverityType::CvssV3,
            "CVSS_V4" => SeverityType::CvssV4,
            _ => SeverityType::Other(s),
        }
    }
}

impl From<SeverityType> for String {
    fn from(t: SeverityType) -> Self {
        match t {
            SeverityType::CvssV2 => "CVSS_V2".into(),
            SeverityType::CvssV3 => "CVSS_V3".into(),
            SeverityType::CvssV4 => "CVSS_V4".into(),
            SeverityType::Other(s) => s,
        }
    }
}

/// A link with its OSV type (`ADVISORY`, `FIX`, `WEB`, `PACKAGE`, `REPORT`…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The reference type as given.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// One affected package and its affected versions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// Which package.
    #[serde(default)]
    pub package: AffectedPackage,
    /// Version ranges (`SEMVER`, `ECOSYSTEM`, `GIT`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ranges: Vec<Range>,
    /// Versions affected besides (or instead of) the ranges, verbatim.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub versions: Vec<String>,
    /// RustSec-style SemVer requirements: affected unless patched or
    /// unaffected. Not part of OSV.
    #[serde(
        default,
        rename = "pkgfed_semver_requirements",
        skip_serializing_if = "Option::is_none"
    )]
    pub semver_requirements: Option<SemverRequirements>,
    /// Severity for this package only.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Ecosystem-specific extras (affected functions…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    /// Database-specific extras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

/// The package an [`Affected`] entry names: by OSV ecosystem and name, and/or
/// by package URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// The OSV ecosystem name (`crates.io`, `npm`, `PyPI`…), verbatim.
    #[serde(default)]
    pub ecosystem: String,
    /// The package name as the database spells it.
    #[serde(default)]
    pub name: String,
    /// A package URL, when the database gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Our ecosystem for an OSV ecosystem name (`crates.io` → Cargo, `npm` → npm,
/// `PyPI` → PyPI; case-insensitive, and our own names are accepted too).
/// `None` for ecosystems pkgfed does not follow.
pub fn ecosystem_from_osv(name: &str) -> Option<Ecosystem> {
    let name = name.trim();
    if name.eq_ignore_ascii_case("crates.io") || name.eq_ignore_ascii_case("cargo") {
        Some(Ecosystem::Cargo)
    } else if name.eq_ignore_ascii_case("npm") {
        Some(Ecosystem::Npm)
    } else if name.eq_ignore_ascii_case("pypi") {
        Some(Ecosystem::Pypi)
    } else {
        None
    }
}

/// The OSV ecosystem name of ours; `None` for [`Ecosystem::Generic`], which has
/// no OSV counterpart.
pub fn osv_ecosystem(ecosystem: Ecosystem) -> Option<&'static str> {
    match ecosystem {
        Ecosystem::Cargo => Some("crates.io"),
        Ecosystem::Npm => Some("npm"),
        Ecosystem::Pypi => Some("PyPI"),
        Ecosystem::Generic => None,
    }
}

impl AffectedPackage {
    /// The package as (our ecosystem, identity key), from the ecosystem and
    /// name, else from the purl. `None` when neither names a package of an
    /// ecosystem pkgfed knows.
    pub fn key(&self) -> Option<(Ecosystem, String)> {
        if let Some(eco) = ecosystem_from_osv(&self.ecosystem)
            && !self.name.is_empty()
        {
            return Some((eco, rules::key(eco, &self.name)));
        }
        self.purl_key()
    }

    fn purl_key(&self) -> Option<(Ecosystem, String)> {
        let (package, _version) = parse_purl(self.purl.as_deref()?).ok()?;
        Some((package.ecosystem(), package.key()))
    }

    /// Whether this names `package`: same ecosystem and the same identity key
    /// ([`PackageId::key`]), by ecosystem and name or by purl.
    pub fn names(&self, package: &PackageId) -> bool {
        let wanted = (package.ecosystem(), package.key());
        let by_name = ecosystem_from_osv(&self.ecosystem)
            .filter(|_| !self.name.is_empty())
            .map(|eco| (eco, rules::key(eco, &self.name)));
        by_name.as_ref() == Some(&wanted) || self.purl_key().as_ref() == Some(&wanted)
    }
}

/// One version range of an [`Affected`] entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How the event versions are ordered.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// The repository of a `GIT` range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The events, in any order.
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<Event>,
}

/// The type of a [`Range`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RangeType {
    /// `SEMVER`: SemVer 2.0 precedence, whatever the ecosystem.
    Semver,
    /// `ECOSYSTEM`: the package ecosystem's own order.
    Ecosystem,
    /// `GIT`: commit hashes; not evaluated by pkgfed.
    Git,
    /// Any other type, by name; not evaluated.
    Other(String),
}

impl From<String> for RangeType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "SEMVER" => RangeType::Semver,
            "ECOSYSTEM" => RangeType::Ecosystem,
            "GIT" => RangeType::Git,
            _ => RangeType::Other(s),
        }
    }
}

impl From<RangeType> for String {
    fn from(t: RangeType) -> Self {
        match t {
            RangeType::Semver => "SEMVER".into(),
            RangeType::Ecosystem => "ECOSYSTEM".into(),
            RangeType::Git => "GIT".into(),
            RangeType::Other(s) => s,
        }
    }
}

/// A range event: each is an object with exactly one of these keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`"0"`: from the first version).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// The last affected version; later ones are not.
    LastAffected(String),
    /// An upper bound on the whole range (`"*"`: none).
    Limit(String),
}

impl Event {
    /// The event's version.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// The CVSS score an advisory shows: its vector and, where computable or
/// given, the base score.
#[derive(Clone, Debug, PartialEq)]
pub struct Cvss {
    /// `CVSS_V3`, `CVSS_V4` or `CVSS_V2`.
    pub kind: SeverityType,
    /// The vector string.
    pub vector: String,
    /// The base score: computed for v3.x vectors, `None` for others.
    pub base_score: Option<f64>,
}

impl Cvss {
    /// The qualitative rating of the base score.
    pub fn rating(&self) -> Option<Rating> {
        self.base_score.map(Rating::of)
    }
}
