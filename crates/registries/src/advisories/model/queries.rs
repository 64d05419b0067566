//! Reading an [`Advisory`]: parsing and validating OSV JSON, and what pkgfed asks of
//! a record (affected packages and versions, fixed versions, severity).

use super::semver_req::lowest_admitted;
use super::*;

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
