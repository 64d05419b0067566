//! Which packages and versions an [`Advisory`] affects.
//!
//! An advisory affects a package when one of its `affected[]` entries names the
//! package (same ecosystem and identity key, by name or purl; see
//! [`AffectedPackage::names`](super::model::AffectedPackage::names)) and it is not
//! withdrawn. A version of the package is affected when, in one of those
//! entries:
//!
//! - it is listed in `versions` (equal as a string or by version precedence,
//!   so PyPI's `1.0` is `1.0.0`), or
//! - a `SEMVER` or `ECOSYSTEM` range includes it, evaluated as the OSV schema
//!   specifies: events are sorted by version (`introduced: "0"` first); walking
//!   them in order, `introduced <= v` makes `v` affected, `fixed <= v` and
//!   `last_affected < v` make it unaffected; when the range has `limit` events,
//!   `v` must also be below one of them (`"*"` is no limit). `SEMVER` ranges
//!   compare by SemVer precedence, `ECOSYSTEM` ranges by the package's
//!   ecosystem (SemVer for Cargo and npm, PEP 440 for PyPI and generic
//!   projects). `GIT` and unknown range types are ignored. Versions that do not
//!   parse are never in a range, and events whose version does not parse are
//!   skipped. Pre-releases take their place in the order: `2.0.0-rc.1` is
//!   before `2.0.0`, so a range fixed in `2.0.0` includes it.
//! - its SemVer requirements (RustSec) leave it affected: it matches no
//!   `patched` and no `unaffected` requirement. Requirements are evaluated as
//!   intervals in SemVer precedence order rather than with Cargo's rule that
//!   pre-releases only match requirements naming one: `2.0.0-rc.1` is patched
//!   by `>= 1.2.3` (it is newer), and `^1.2.3` ends before `2.0.0-0`.
//!
//! An entry with neither ranges, versions nor requirements names the package
//! but affects no version.

use std::cmp::Ordering;
use std::str::FromStr;

use semver::{Comparator, Op, Prerelease};

use super::model::{Advisory, Affected, Event, RangeType, SemverRequirements};
use crate::{Ecosystem, PackageId};

/// How versions are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Semver,
    Pep440,
}

fn scheme_of(ecosystem: Ecosystem) -> Scheme {
    match ecosystem {
        Ecosystem::Cargo | Ecosystem::Npm => Scheme::Semver,
        Ecosystem::Pypi | Ecosystem::Generic => Scheme::Pep440,
    }
}

enum Parsed {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
}

/// Parses like [`crate::versions`] does (a leading `v` or `=` is tolerated for
/// SemVer), without its string tie-break: equal precedence is equal here.
fn parse(scheme: Scheme, v: &str) -> Option<Parsed> {
    let v = v.trim();
    match scheme {
        Scheme::Semver => {
            let v = v.strip_prefix(['v', '=']).unwrap_or(v);
            semver::Version::parse(v).ok().map(Parsed::Semver)
        }
        Scheme::Pep440 => pep440_rs::Version::from_str(v).ok().map(Parsed::Pep440),
    }
}

fn cmp(a: &Parsed, b: &Parsed) -> Ordering {
    match (a, b) {
        (Parsed::Semver(x), Parsed::Semver(y)) => x.cmp_precedence(y),
        (Parsed::Pep440(x), Parsed::Pep440(y)) => x.cmp(y),
        // One scheme never yields both kinds.
        _ => Ordering::Equal,
    }
}

/// Whether `adv` names `package` in an `affected[]` entry and is not withdrawn.
pub fn affects(adv: &Advisory, package: &PackageId) -> bool {
    !adv.is_withdrawn() && adv.entries_for(package).next().is_some()
}

/// Whether `version` of `package` is affected by `adv` (see the module docs).
pub fn is_affected(adv: &Advisory, package: &PackageId, version: &str) -> bool {
    !adv.is_withdrawn()
        && adv
            .entries_for(package)
            .any(|entry| entry_affects(entry, package.ecosystem(), version))
}

/// The affected ones of `versions`, in the given order.
pub fn affected_versions(adv: &Advisory, package: &PackageId, versions: &[String]) -> Vec<String> {
    versions
        .iter()
        .filter(|v| is_affected(adv, package, v))
        .cloned()
        .collect()
}

/// The newest affected one of `versions` (by the ecosystem's order), e.g. the
/// release post an advisory post replies to.
pub fn newest_affected<'a>(
    adv: &Advisory,
    package: &PackageId,
    versions: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let eco = package.ecosystem();
    versions
        .into_iter()
        .filter(|v| is_affected(adv, package, v))
        .max_by(|a, b| crate::versions::compare(eco, a, b))
}

/// One line per range, requirement set and version list of the entries naming
/// `package`, for people: `>= 1.0.0, < 1.2.3`, `< 0.4.2 (limit 0.5.0)`,
/// `= 2.0.0`, `all versions except >= 1.2.3, ^0.9.5`.
pub fn describe_affected(adv: &Advisory, package: &PackageId) -> Vec<String> {
    let eco = package.ecosystem();
    let mut lines = Vec::new();
    for entry in adv.entries_for(package) {
        for range in &entry.ranges {
            let scheme = match range.kind {
                RangeType::Semver => Scheme::Semver,
                RangeType::Ecosystem => scheme_of(eco),
                _ => continue,
            };
            let events = sorted_events(scheme, &range.events);
            let mut parts: Vec<String> = Vec::new();
            let mut open: Option<String> = None;
            for (_, event) in &events {
                match event {
                    Event::Introduced(v) => {
                        if let Some(lower) = open.take() {
                            parts.push(lower);
                        }
                        open = Some(if is_zero(v) {
                            String::new()
                        } else {
                            format!(">= {v}")
                        });
                    }
                    Event::Fixed(v) | Event::LastAffected(v) => {
                        let op = if matches!(event, Event::Fixed(_)) {
                            "<"
                        } else {
                            "<="
                        };
                        if let Some(lower) = open.take() {
                            parts.push(if lower.is_empty() {
                                format!("{op} {v}")
                            } else {
                                format!("{lower}, {op} {v}")
                            });
                        }
                    }
                    Event::Limit(_) => {}
                }
            }
            if let Some(lower) = open {
                parts.push(if lower.is_empty() {
                    "all versions".into()
                } else {
                    lower
                });
            }
            let limits: Vec<&str> = range
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::Limit(l) if l != "*" => Some(l.as_str()),
                    _ => None,
                })
                .collect();
            let suffix = if limits.is_empty() {
                String::new()
            } else {
                format!(" (limit {})", limits.join(", "))
            };
            lines.extend(parts.into_iter().map(|p| format!("{p}{suffix}")));
        }
        if let Some(reqs) = &entry.semver_requirements {
            let except: Vec<&str> = reqs
                .patched
                .iter()
                .chain(&reqs.unaffected)
                .map(|r| r.as_str())
                .collect();
            lines.push(if except.is_empty() {
                "all versions".into()
            } else {
                format!("all versions except {}", except.join(", "))
            });
        }
        if !entry.versions.is_empty() {
            lines.push(format!("= {}", entry.versions.join(", ")));
        }
    }
    lines
}

fn is_zero(v: &str) -> bool {
    v.trim() == "0"
}

/// Whether one `affected[]` entry makes `version` affected.
fn entry_affects(entry: &Affected, ecosystem: Ecosystem, version: &str) -> bool {
    let scheme = scheme_of(ecosystem);
    let listed = entry.versions.iter().any(|listed| {
        listed.trim() == version.trim()
            || matches!(
                (parse(scheme, listed), parse(scheme, version)),
                (Some(a), Some(b)) if cmp(&a, &b) == Ordering::Equal
            )
    });
    if listed {
        return true;
    }
    let in_range = entry.ranges.iter().any(|range| {
        let scheme = match range.kind {
            RangeType::Semver => Scheme::Semver,
            RangeType::Ecosystem => scheme,
            RangeType::Git | RangeType::Other(_) => return false,
        };
        range_includes(scheme, &range.events, version)
    });
    in_range
        || entry
            .semver_requirements
            .as_ref()
            .is_some_and(|reqs| requirements_affect(reqs, version))
}

/// The events with parseable versions (`introduced: "0"` as `None`, the
/// minimum), sorted by version; equal versions keep their order.
fn sorted_events(scheme: Scheme, events: &[Event]) -> Vec<(Option<Parsed>, &Event)> {
    let mut sorted: Vec<(Option<Parsed>, &Event)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Introduced(v) if is_zero(v) => Some((None, e)),
            Event::Limit(_) => None,
            _ => parse(scheme, e.version()).map(|p| (Some(p), e)),
        })
        .collect();
    sorted.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => cmp(a, b),
    });
    sorted
}

/// The OSV evaluation of one range for `version`.
fn range_includes(scheme: Scheme, events: &[Event], version: &str) -> bool {
    let Some(v) = parse(scheme, version) else {
        return false;
    };
    let limits: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    if !limits.is_empty() {
        let below_a_limit = limits.iter().any(|l| {
            l.trim() == "*"
                || parse(scheme, l).is_some_and(|limit| cmp(&v, &limit) == Ordering::Less)
        });
        if !below_a_limit {
            return false;
        }
    }
    let mut affected = false;
    for (at, event) in sorted_events(scheme, events) {
        let order = at.as_ref().map_or(Ordering::Greater, |at| cmp(&v, at));
        match event {
            Event::Introduced(_) if order != Ordering::Less => affected = true,
            Event::Fixed(_) if order != Ordering::Less => affected = false,
            Event::LastAffected(_) if order == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

/// RustSec: affected unless a `patched` or `unaffected` requirement admits it.
fn requirements_affect(reqs: &SemverRequirements, version: &str) -> bool {
    let Some(Parsed::Semver(v)) = parse(Scheme::Semver, version) else {
        return false;
    };
    !reqs
        .patched
        .iter()
        .chain(&reqs.unaffected)
        .any(|r| r.req().comparators.iter().all(|c| admits(c, &v)))
}

fn version(major: u64, minor: u64, patch: u64, pre: Prerelease) -> semver::Version {
    semver::Version {
        major,
        minor,
        patch,
        pre,
        build: semver::BuildMetadata::EMPTY,
    }
}

/// The smallest pre-release (`-0`): `x.y.z-0` comes before every other
/// version of `x.y.z`.
fn pre_zero() -> Prerelease {
    Prerelease::new("0").unwrap_or(Prerelease::EMPTY)
}

/// Whether comparator `c` admits `v`, as an interval in precedence order.
fn admits(c: &Comparator, v: &semver::Version) -> bool {
    let lower = version(
        c.major,
        c.minor.unwrap_or(0),
        c.patch.unwrap_or(0),
        c.pre.clone(),
    );
    // The first version after everything the partial comparator names:
    // `=1.2` → 1.3.0-0, `=1` → 2.0.0-0; for a full version, just after it.
    let after_partial = match (c.minor, c.patch) {
        (None, _) => Some(version(c.major + 1, 0, 0, pre_zero())),
        (Some(minor), None) => Some(version(c.major, minor + 1, 0, pre_zero())),
        (Some(_), Some(_)) => None,
    };
    let ge = |x: &semver::Version| v.cmp_precedence(x) != Ordering::Less;
    let lt = |x: &semver::Version| v.cmp_precedence(x) == Ordering::Less;
    match c.op {
        Op::Exact | Op::Wildcard => match &after_partial {
            None => v.cmp_precedence(&lower) == Ordering::Equal,
            Some(upper) => ge(&lower) && lt(upper),
        },
        Op::Greater => match &after_partial {
            None => v.cmp_precedence(&lower) == Ordering::Greater,
            Some(upper) => ge(upper),
        },
        Op::GreaterEq => ge(&lower),
        Op::Less => match after_partial {
            None => lt(&lower),
            Some(_) => lt(&version(lower.major, lower.minor, 0, pre_zero())),
        },
        Op::LessEq => match &after_partial {
            None => !v.cmp_precedence(&lower).is_gt(),
            Some(upper) => lt(upper),
        },
        Op::Tilde => {
            let upper = match c.minor {
                Some(minor) => version(c.major, minor + 1, 0, pre_zero()),
                None => version(c.major + 1, 0, 0, pre_zero()),
            };
            ge(&lower) && lt(&upper)
        }
        Op::Caret => {
            let upper = match (c.major, c.minor, c.patch) {
                (0, None, _) => version(1, 0, 0, pre_zero()),
                (0, Some(0), None) => version(0, 1, 0, pre_zero()),
                (0, Some(0), Some(patch)) => version(0, 0, patch + 1, pre_zero()),
                (0, Some(minor), _) => version(0, minor + 1, 0, pre_zero()),
                (major, _, _) => version(major + 1, 0, 0, pre_zero()),
            };
            ge(&lower) && lt(&upper)
        }
        // Operators added to `semver` later: its own rule.
        _ => c.matches(v),
    }
}

#[cfg(test)]
mod tests;
