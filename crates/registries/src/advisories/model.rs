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

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

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

/// An instant in UTC, read from RFC 3339 (or a bare `YYYY-MM-DD`, as midnight
/// UTC) and written as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(time::OffsetDateTime);

impl Timestamp {
    /// Parses RFC 3339 (`2024-03-01T12:00:00Z`, any offset, fractions allowed)
    /// or a date (`2024-03-01`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(t) =
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        {
            return Ok(Timestamp(t.to_offset(time::UtcOffset::UTC)));
        }
        let date_format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &date_format)
            .map(|d| Timestamp(d.midnight().assume_utc()))
            .map_err(|_| format!("{s:?} is not an RFC 3339 timestamp or a YYYY-MM-DD date"))
    }

    /// The instant `secs` after the Unix epoch.
    pub fn from_unix(secs: i64) -> Option<Self> {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .ok()
            .map(Timestamp)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// RFC 3339 in UTC: `2024-03-01T12:00:00Z`.
    pub fn to_rfc3339(&self) -> String {
        self.0
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

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

/// RustSec-style affected versions: a version is affected unless it matches a
/// `patched` or an `unaffected` requirement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SemverRequirements {
    /// Requirements the fixed versions match (`>= 1.2.3`, `^0.9.5`).
    #[serde(default)]
    pub patched: Vec<SemverReq>,
    /// Requirements of versions that never had the flaw (`< 0.2.0`).
    #[serde(default)]
    pub unaffected: Vec<SemverReq>,
}

/// A SemVer version requirement, kept with its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SemverReq {
    text: String,
    req: semver::VersionReq,
}

impl SemverReq {
    /// Parses a requirement in Cargo's syntax (`>= 1.2.3, < 2`, `^0.9.5`, `=1.0.0`).
    pub fn parse(text: &str) -> Result<Self, String> {
        semver::VersionReq::parse(text.trim())
            .map(|req| SemverReq {
                text: text.trim().to_owned(),
                req,
            })
            .map_err(|e| format!("{text:?} is not a SemVer requirement: {e}"))
    }

    /// The requirement as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed requirement.
    pub fn req(&self) -> &semver::VersionReq {
        &self.req
    }
}

impl TryFrom<String> for SemverReq {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SemverReq::parse(&s)
    }
}

impl From<SemverReq> for String {
    fn from(r: SemverReq) -> Self {
        r.text
    }
}

impl fmt::Display for SemverReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
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

impl Advisory {
    /// Parses one OSV JSON record; `file` names it in errors.
    pub fn from_osv_json(bytes: &[u8], file: &str) -> Result<Advisory, AdvisoryError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let advisory: Advisory = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| AdvisoryError::from_path_error(file, e))?;
        advisory.validate(file)?;
        Ok(advisory)
    }

    /// The checks serde cannot express.
    pub(crate) fn validate(&self, file: &str) -> Result<(), AdvisoryError> {
        let invalid = |field: String, message: &str| AdvisoryError::Invalid {
            file: file.to_owned(),
            field,
            message: message.to_owned(),
        };
        if self.id.trim().is_empty() || self.id.trim() != self.id {
            return Err(invalid(
                "id".into(),
                "the id must be non-empty without surrounding spaces",
            ));
        }
        for (i, a) in self.affected.iter().enumerate() {
            if a.package.ecosystem.is_empty()
                && a.package.name.is_empty()
                && a.package.purl.is_none()
            {
                // A GIT-only entry may omit the package; it never matches.
                continue;
            }
            if a.package.purl.is_none()
                && (a.package.ecosystem.is_empty() || a.package.name.is_empty())
            {
                return Err(invalid(
                    format!("affected[{i}].package"),
                    "a package needs an ecosystem and a name, or a purl",
                ));
            }
        }
        Ok(())
    }

    /// Serialises to JSON (OSV, plus `pkgfed_semver_requirements` where set).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The id and every alias, id first, without duplicates: the keys to
    /// deduplicate the same vulnerability across sources.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = vec![self.id.as_str()];
        for alias in &self.aliases {
            if !ids.contains(&alias.as_str()) {
                ids.push(alias);
            }
        }
        ids
    }

    /// Whether the advisory was withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The `affected[]` entries that name `package`.
    pub fn entries_for<'a>(
        &'a self,
        package: &'a PackageId,
    ) -> impl Iterator<Item = &'a Affected> + 'a {
        self.affected.iter().filter(|a| a.package.names(package))
    }

    /// The versions that fix the advisory for `package`, oldest first, without
    /// duplicates: the `fixed` events of its `SEMVER` and `ECOSYSTEM` ranges, and
    /// for SemVer requirements the lowest version each `patched` requirement
    /// admits (`>= 1.2.3` and `^1.2.3` → `1.2.3`).
    pub fn fixed_versions(&self, package: &PackageId) -> Vec<String> {
        let mut fixed: Vec<String> = Vec::new();
        for entry in self.entries_for(package) {
            for range in &entry.ranges {
                if !matches!(range.kind, RangeType::Semver | RangeType::Ecosystem) {
                    continue;
                }
                for event in &range.events {
                    if let Event::Fixed(v) = event {
                        fixed.push(v.clone());
                    }
                }
            }
            if let Some(reqs) = &entry.semver_requirements {
                fixed.extend(reqs.patched.iter().filter_map(lowest_admitted));
            }
        }
        crate::versions::sort(package.ecosystem(), &mut fixed);
        fixed.dedup();
        fixed
    }

    /// The advisory's CVSS score: a `CVSS_V3` entry (scored from its vector) is
    /// preferred, then `CVSS_V4`, then `CVSS_V2`; top-level severity before the
    /// per-package one.
    pub fn cvss(&self) -> Option<Cvss> {
        let all: Vec<&Severity> = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()))
            .collect();
        for kind in [
            SeverityType::CvssV3,
            SeverityType::CvssV4,
            SeverityType::CvssV2,
        ] {
            if let Some(s) = all.iter().find(|s| s.kind == kind) {
                let base_score = match kind {
                    SeverityType::CvssV3 => cvss::base_score_v3(&s.score),
                    _ => None,
                };
                return Some(Cvss {
                    kind,
                    vector: s.score.trim().to_owned(),
                    base_score,
                });
            }
        }
        None
    }

    /// The database's own severity word (`database_specific.severity`, as GHSA
    /// gives `"HIGH"` or `"MODERATE"`).
    pub fn severity_label(&self) -> Option<&str> {
        self.database_specific.as_ref()?.get("severity")?.as_str()
    }

    /// RustSec's informational kind (`unmaintained`, `unsound`, `notice`), for
    /// advisories that report no vulnerability.
    pub fn informational(&self) -> Option<&str> {
        self.database_specific
            .as_ref()?
            .get("informational")?
            .as_str()
    }
}

/// The lowest version a requirement admits, when its first comparator has a
/// lower bound (`>=`, `=`, `^`, `~`, `>` is skipped as it excludes its version).
fn lowest_admitted(req: &SemverReq) -> Option<String> {
    use semver::Op;
    let c = req.req().comparators.first()?;
    if !matches!(c.op, Op::GreaterEq | Op::Exact | Op::Caret | Op::Tilde) {
        return None;
    }
    let mut v = format!(
        "{}.{}.{}",
        c.major,
        c.minor.unwrap_or(0),
        c.patch.unwrap_or(0)
    );
    if !c.pre.is_empty() {
        v.push('-');
        v.push_str(c.pre.as_str());
    }
    Some(v)
}

#[cfg(test)]
mod tests {

    use super::*;

    fn pkg(eco: Ecosystem, name: &str) -> PackageId {
        PackageId::new(eco, name).unwrap()
    }

    const GHSA: &str = r#"{
      "schema_version": "1.6.0",
      "id": "GHSA-aaaa-bbbb-cccc",
      "modified": "2024-05-02T10:00:00.123Z",
      "published": "2024-05-01T08:00:00Z",
      "aliases": ["CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"],
      "related": null,
      "summary": "Prototype pollution in left-pad",
      "details": "Long text",
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected": [{
        "package": {"ecosystem": "npm", "name": "left-pad", "purl": "pkg:npm/left-pad"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.1"}]},
                   {"type": "GIT", "repo": "https://git.example.invalid/lp", "events": [{"introduced": "abc"}]}],
        "database_specific": {"source": "x"},
        "unknown_field": 1
      }, {
        "package": {"ecosystem": "Maven", "name": "org.example:thing"}
      }],
      "references": [{"type": "ADVISORY", "url": "https://advisories.example.invalid/1"}],
      "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-1321"]}
    }"#;

    #[test]
    fn parses_an_osv_record_leniently() {
        let a = Advisory::from_osv_json(GHSA.as_bytes(), "ghsa.json").unwrap();
        assert_eq!(a.id, "GHSA-aaaa-bbbb-cccc");
        assert_eq!(a.modified.to_rfc3339(), "2024-05-02T10:00:00.123Z");
        assert_eq!(a.published.unwrap().unix(), 1_714_550_400);
        assert!(a.related.is_empty());
        assert_eq!(a.ids(), ["GHSA-aaaa-bbbb-cccc", "CVE-2024-0001"]);
        assert_eq!(a.affected[0].ranges[1].kind, RangeType::Git);
        assert_eq!(
            a.affected[0].ranges[0].events,
            [Event::Introduced("0".into()), Event::Fixed("1.3.1".into())]
        );
        assert_eq!(a.affected[1].package.key(), None);
        assert_eq!(a.severity_label(), Some("HIGH"));
        let cvss = a.cvss().unwrap();
        assert_eq!(
            (cvss.kind.clone(), cvss.base_score, cvss.rating()),
            (SeverityType::CvssV3, Some(9.8), Some(Rating::Critical))
        );
        assert_eq!(
            a.fixed_versions(&pkg(Ecosystem::Npm, "left-pad")),
            ["1.3.1"]
        );
        assert!(
            a.fixed_versions(&pkg(Ecosystem::Npm, "right-pad"))
                .is_empty()
        );
    }

    #[test]
    fn round_trips_through_json() {
        let a = Advisory::from_osv_json(GHSA.as_bytes(), "ghsa.json").unwrap();
        let again = Advisory::from_osv_json(a.to_json().unwrap().as_bytes(), "again").unwrap();
        assert_eq!(a, again);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            (r#"{"id": "X-1"}"#, "the document", "modified"),
            (
                r#"{"id": "X-1", "modified": "yesterday"}"#,
                "modified",
                "RFC 3339",
            ),
            (
                r#"{"id": "X-1", "modified": "2024-01-01T00:00:00Z",
                   "affected": [{"package": {"ecosystem": "npm", "name": "a"},
                     "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixd": "1"}]}]}]}"#,
                "affected[0].ranges[0].events[1]",
                "fixd",
            ),
            (
                r#"{"id": "", "modified": "2024-01-01T00:00:00Z"}"#,
                "id",
                "non-empty",
            ),
            (
                r#"{"id": "X", "modified": "2024-01-01T00:00:00Z",
                   "affected": [{"package": {"ecosystem": "npm"}}]}"#,
                "affected[0].package",
                "name",
            ),
            ("{not json", "the document", "key must be a string"),
        ];
        for (json, field, fragment) in cases {
            match Advisory::from_osv_json(json.as_bytes(), "dir/bad.json").unwrap_err() {
                AdvisoryError::Invalid {
                    file,
                    field: f,
                    message,
                } => {
                    assert_eq!(file, "dir/bad.json");
                    assert_eq!(f, field, "{json}");
                    assert!(message.contains(fragment), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn ecosystems_and_purls_name_packages() {
        let by_name = AffectedPackage {
            ecosystem: "crates.io".into(),
            name: "Serde-Json".into(),
            purl: None,
        };
        assert!(by_name.names(&pkg(Ecosystem::Cargo, "serde_json")));
        assert!(!by_name.names(&pkg(Ecosystem::Npm, "serde_json")));
        let by_purl = AffectedPackage {
            purl: Some("pkg:pypi/zope-interface".into()),
            ..AffectedPackage::default()
        };
        assert!(by_purl.names(&pkg(Ecosystem::Pypi, "Zope.Interface")));
        assert_eq!(
            by_purl.key(),
            Some((Ecosystem::Pypi, "zope-interface".to_owned()))
        );
        let npm = AffectedPackage {
            ecosystem: "npm".into(),
            name: "JSONStream".into(),
            purl: None,
        };
        assert!(npm.names(&pkg(Ecosystem::Npm, "JSONStream")));
        assert!(!npm.names(&pkg(Ecosystem::Npm, "jsonstream")));
        assert_eq!(ecosystem_from_osv("PyPI"), Some(Ecosystem::Pypi));
        assert_eq!(ecosystem_from_osv("Go"), None);
        assert_eq!(osv_ecosystem(Ecosystem::Cargo), Some("crates.io"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            Timestamp::parse("2024-01-02").unwrap().to_rfc3339(),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            Timestamp::parse("2024-01-02T03:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2024-01-02T01:00:00Z"
        );
        assert!(Timestamp::parse("02/01/2024").is_err());
    }

    #[test]
    fn cvss_preference_and_v4() {
        let mut a = Advisory::from_osv_json(GHSA.as_bytes(), "x").unwrap();
        a.severity = vec![Severity {
            kind: SeverityType::CvssV4,
            score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
        }];
        let c = a.cvss().unwrap();
        assert_eq!((c.kind, c.base_score), (SeverityType::CvssV4, None));
        a.severity.clear();
        assert_eq!(a.cvss(), None);
    }
}
