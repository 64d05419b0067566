//! RustSec-style affected versions: SemVer requirements kept with their text.

use std::fmt;

use serde::{Deserialize, Serialize};

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

/// The lowest version a requirement admits, when its first comparator has a
/// lower bound (`>=`, `=`, `^`, `~`, `>` is skipped as it excludes its version).
pub(super) fn lowest_admitted(req: &SemverReq) -> Option<String> {
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
