//! Version ordering per ecosystem: which release is newer, and which are
//! pre-releases.
//!
//! Cargo and npm versions are SemVer 2.0 and compare by SemVer precedence; PyPI
//! versions compare by PEP 440 (epochs, pre-, post- and dev-releases, local
//! versions). Both orders are made total and deterministic for the watcher: versions
//! of equal precedence (SemVer build metadata, PEP 440 spellings such as `1.0` and
//! `1.0.0`) are ordered by their strings, and versions that do not parse sort
//! before every parseable one, among themselves by string.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::Ecosystem;

/// A version parsed under its ecosystem's scheme, or not parseable at all.
enum Parsed {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
    Unparseable,
}

fn parse(eco: Ecosystem, v: &str) -> Parsed {
    match eco {
        Ecosystem::Cargo | Ecosystem::Npm => {
            // npm tolerates a leading `v` and surrounding spaces in old packuments.
            let trimmed = v.trim();
            let trimmed = trimmed.strip_prefix(['v', '=']).unwrap_or(trimmed);
            semver::Version::parse(trimmed).map_or(Parsed::Unparseable, Parsed::Semver)
        }
        // Releases feeds use whatever their project uses; PEP 440's parser is the
        // most forgiving of the two (`v1.2`, `1.2`, `1.0.0-rc.1` all parse).
        Ecosystem::Pypi | Ecosystem::Generic => {
            pep440_rs::Version::from_str(v.trim()).map_or(Parsed::Unparseable, Parsed::Pep440)
        }
    }
}

/// Compares two versions of `eco` (see the module docs for the exact order).
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Ordering {
    let by_scheme = match (parse(eco, a), parse(eco, b)) {
        (Parsed::Semver(x), Parsed::Semver(y)) => x.cmp_precedence(&y),
        (Parsed::Pep440(x), Parsed::Pep440(y)) => x.cmp(&y),
        (Parsed::Unparseable, Parsed::Unparseable) => Ordering::Equal,
        (Parsed::Unparseable, _) => Ordering::Less,
        (_, Parsed::Unparseable) => Ordering::Greater,
        // One ecosystem never yields both kinds.
        (Parsed::Semver(_), Parsed::Pep440(_)) | (Parsed::Pep440(_), Parsed::Semver(_)) => {
            Ordering::Equal
        }
    };
    by_scheme.then_with(|| a.cmp(b))
}

/// Whether `v` is a pre-release: a non-empty SemVer pre-release part
/// (`1.0.0-rc.1`), or a PEP 440 pre- or dev-release (`2.0.0a1`, `1.0.dev3`).
/// Unparseable versions are not pre-releases.
pub fn is_prerelease(eco: Ecosystem, v: &str) -> bool {
    match parse(eco, v) {
        Parsed::Semver(s) => !s.pre.is_empty(),
        Parsed::Pep440(p) => p.any_prerelease(),
        Parsed::Unparseable => false,
    }
}

/// Sorts versions of `eco` from oldest to newest by [`compare`].
pub fn sort<S: AsRef<str>>(eco: Ecosystem, versions: &mut [S]) {
    versions.sort_by(|a, b| compare(eco, a.as_ref(), b.as_ref()));
}

/// The newest of `versions` by [`compare`], optionally skipping pre-releases.
pub fn newest<'a, I>(eco: Ecosystem, versions: I, include_prereleases: bool) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    versions
        .into_iter()
        .filter(|v| include_prereleases || !is_prerelease(eco, v))
        .max_by(|a, b| compare(eco, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ecosystem::{Cargo, Npm, Pypi};

    fn sorted(eco: Ecosystem, input: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = input.iter().map(|s| s.to_string()).collect();
        sort(eco, &mut v);
        v
    }

    #[test]
    fn semver_precedence_for_cargo_and_npm() {
        for eco in [Cargo, Npm] {
            assert_eq!(
                sorted(
                    eco,
                    &[
                        "1.0.0",
                        "1.0.0-rc.1",
                        "1.0.0-alpha",
                        "0.9.15",
                        "1.0.0-alpha.1",
                        "1.0.0-beta.11",
                        "1.0.0-beta.2",
                        "1.0.217",
                        "1.0.22",
                        "0.10.0"
                    ]
                ),
                [
                    "0.9.15",
                    "0.10.0",
                    "1.0.0-alpha",
                    "1.0.0-alpha.1",
                    "1.0.0-beta.2",
                    "1.0.0-beta.11",
                    "1.0.0-rc.1",
                    "1.0.0",
                    "1.0.22",
                    "1.0.217"
                ]
            );
        }
    }

    #[test]
    fn build_metadata_is_ignored_but_the_order_stays_total() {
        assert_eq!(
            compare(Cargo, "1.0.0+build.2", "1.0.0+build.10"),
            "1.0.0+build.2".cmp("1.0.0+build.10")
        );
        assert_eq!(compare(Cargo, "1.0.1+a", "1.0.0+z"), Ordering::Greater);
        assert_eq!(compare(Npm, "1.0.0+x", "1.0.0+x"), Ordering::Equal);
    }

    #[test]
    fn unparseable_versions_sort_first() {
        assert_eq!(
            sorted(Npm, &["1.0.0", "not-a-version", "0.0.1", "1.0"]),
            ["1.0", "not-a-version", "0.0.1", "1.0.0"]
        );
        assert_eq!(
            sorted(Pypi, &["2.0", "garbage!", "0.1"]),
            ["garbage!", "0.1", "2.0"]
        );
    }

    #[test]
    fn pep440_order_with_real_requests_and_urllib3_versions() {
        assert_eq!(
            sorted(
                Pypi,
                &[
                    "2.0.0",
                    "2.0.0a1",
                    "2.0.0a2",
                    "2.0.0b1",
                    "2.0.0rc1",
                    "1.26.20",
                    "2.0.0.dev1",
                    "2.0.0.post1",
                    "1.26.9",
                    "2.0.0a1.dev1",
                    "2.0.0+local.1",
                    "1!0.1",
                    "0.12.01",
                    "0.12.1",
                ]
            ),
            [
                "0.12.01",
                "0.12.1",
                "1.26.9",
                "1.26.20",
                "2.0.0.dev1",
                "2.0.0a1.dev1",
                "2.0.0a1",
                "2.0.0a2",
                "2.0.0b1",
                "2.0.0rc1",
                "2.0.0",
                "2.0.0+local.1",
                "2.0.0.post1",
                "1!0.1",
            ]
        );
    }

    #[test]
    fn pep440_equal_spellings_fall_back_to_strings() {
        assert_eq!(compare(Pypi, "1.0", "1.0.0"), Ordering::Less);
        assert_eq!(compare(Pypi, "1.0.0", "1.0"), Ordering::Greater);
        assert_eq!(
            compare(Pypi, "2.0.0RC1", "2.0.0rc1"),
            "2.0.0RC1".cmp("2.0.0rc1")
        );
    }

    #[test]
    fn prereleases() {
        assert!(is_prerelease(Cargo, "1.0.0-rc.1"));
        assert!(is_prerelease(Npm, "5.0.0-beta.3"));
        assert!(!is_prerelease(Cargo, "1.0.217"));
        assert!(!is_prerelease(Cargo, "1.0.0+build"));
        assert!(is_prerelease(Pypi, "2.0.0a1"));
        assert!(is_prerelease(Pypi, "2.0.0rc1"));
        assert!(is_prerelease(Pypi, "1.0.dev3"));
        assert!(!is_prerelease(Pypi, "2.0.0.post1"));
        assert!(!is_prerelease(Pypi, "2.0.0+local"));
        assert!(!is_prerelease(Pypi, "nonsense version"));
    }

    #[test]
    fn newest_skips_prereleases_when_asked() {
        let vs = ["2.0.0rc1", "1.26.20", "1.26.9"];
        assert_eq!(newest(Pypi, vs, false), Some("1.26.20"));
        assert_eq!(newest(Pypi, vs, true), Some("2.0.0rc1"));
        assert_eq!(newest(Cargo, [], true), None);
    }
}
