use serde_json::json;

use super::*;
use crate::advisories::model::{SemverReq, Timestamp};

fn pkg(eco: Ecosystem, name: &str) -> PackageId {
    PackageId::new(eco, name).unwrap()
}

fn osv_ecosystem(eco: Ecosystem) -> &'static str {
    crate::advisories::model::osv_ecosystem(eco).unwrap_or("generic")
}

/// An advisory with one affected entry for `name` in `eco`.
fn advisory(eco: Ecosystem, name: &str, affected: serde_json::Value) -> Advisory {
    let mut entry = affected;
    entry["package"] = json!({"ecosystem": osv_ecosystem(eco), "name": name});
    let doc = json!({
        "id": "TEST-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [entry],
    });
    Advisory::from_osv_json(doc.to_string().as_bytes(), "test").unwrap()
}

fn range(kind: &str, events: serde_json::Value) -> serde_json::Value {
    json!({"ranges": [{"type": kind, "events": events}]})
}

fn check(adv: &Advisory, p: &PackageId, yes: &[&str], no: &[&str]) {
    for v in yes {
        assert!(is_affected(adv, p, v), "{v} should be affected");
    }
    for v in no {
        assert!(!is_affected(adv, p, v), "{v} should not be affected");
    }
}

#[test]
fn cargo_semver_range_with_prereleases() {
    let p = pkg(Ecosystem::Cargo, "hyper");
    let adv = advisory(
        Ecosystem::Cargo,
        "hyper",
        range(
            "SEMVER",
            json!([{"introduced": "0.14.0"}, {"fixed": "0.14.26"}, {"introduced": "1.0.0-rc.1"}, {"fixed": "1.0.0"}]),
        ),
    );
    check(
        &adv,
        &p,
        &["0.14.0", "0.14.25", "1.0.0-rc.1", "1.0.0-rc.4"],
        &[
            "0.13.9",
            "0.14.26",
            "0.14.27",
            "0.14.0-beta",
            "1.0.0",
            "1.0.1",
            "1.0.0-alpha",
        ],
    );
}

#[test]
fn npm_ecosystem_range_introduced_zero_and_build_metadata() {
    let p = pkg(Ecosystem::Npm, "@scope/lib");
    let adv = advisory(
        Ecosystem::Npm,
        "@scope/lib",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"fixed": "2.0.0"}]),
        ),
    );
    check(
        &adv,
        &p,
        &["0.0.1", "1.9.9", "2.0.0-rc.1", "v1.0.0", "0.0.0-alpha"],
        &["2.0.0", "2.0.0+build.5", "3.0.0", "not a version"],
    );
    let all = advisory(
        Ecosystem::Npm,
        "@scope/lib",
        range("ECOSYSTEM", json!([{"introduced": "0"}])),
    );
    check(&all, &p, &["0.0.0", "99.0.0", "1.0.0-beta"], &["latest"]);
}

#[test]
fn pypi_pep440_range_and_prereleases() {
    let p = pkg(Ecosystem::Pypi, "Requests");
    let adv = advisory(
        Ecosystem::Pypi,
        "requests",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "2.1"}, {"fixed": "2.31.0"}]),
        ),
    );
    check(
        &adv,
        &p,
        &[
            "2.1",
            "2.1.0",
            "2.30.0",
            "2.31.0rc1",
            "2.31.0.dev1",
            "2.30.0.post1",
        ],
        &[
            "2.0.1",
            "2.1rc1",
            "2.31.0",
            "2.31",
            "2.31.0.post1",
            "3.0.0a1",
        ],
    );
    // PEP 440 equal spellings are the same version.
    assert!(!is_affected(&adv, &p, "2.31.0.0"));
}

#[test]
fn last_affected_includes_its_version() {
    for (eco, la, yes, no) in [
        (Ecosystem::Cargo, "1.2.3", "1.2.3", "1.2.4-alpha"),
        (Ecosystem::Pypi, "1.2.3", "1.2.3", "1.2.3.post1"),
    ] {
        let p = pkg(eco, "thing");
        let adv = advisory(
            eco,
            "thing",
            range(
                "ECOSYSTEM",
                json!([{"introduced": "1.0.0"}, {"last_affected": la}]),
            ),
        );
        check(&adv, &p, &[yes, "1.0.0", "1.2.0"], &[no, "0.9.0", "2.0.0"]);
    }
}

#[test]
fn limit_bounds_the_whole_range() {
    let p = pkg(Ecosystem::Cargo, "thing");
    // Affected from 1.0 with no fix on this branch, but only below the limit.
    let adv = advisory(
        Ecosystem::Cargo,
        "thing",
        range(
            "SEMVER",
            json!([{"introduced": "1.0.0"}, {"limit": "1.5.0"}]),
        ),
    );
    check(
        &adv,
        &p,
        &["1.0.0", "1.4.9", "1.5.0-rc.1"],
        &["0.9.0", "1.5.0", "2.0.0"],
    );
    // Two limits: below either is enough; "*" lifts the limit.
    let two = advisory(
        Ecosystem::Cargo,
        "thing",
        range(
            "SEMVER",
            json!([{"introduced": "0"}, {"limit": "1.5.0"}, {"limit": "2.5.0"}]),
        ),
    );
    check(&two, &p, &["1.0.0", "2.4.0"], &["2.5.0"]);
    let star = advisory(
        Ecosystem::Cargo,
        "thing",
        range("SEMVER", json!([{"introduced": "0"}, {"limit": "*"}])),
    );
    check(&star, &p, &["100.0.0"], &[]);
}

#[test]
fn multiple_ranges_and_unsorted_events() {
    let p = pkg(Ecosystem::Pypi, "django");
    let adv = advisory(
        Ecosystem::Pypi,
        "Django",
        json!({"ranges": [
            {"type": "ECOSYSTEM", "events": [{"fixed": "3.2.20"}, {"introduced": "3.2"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "4.1"}, {"fixed": "4.1.10"}, {"introduced": "4.2"}, {"fixed": "4.2.3"}]},
            {"type": "GIT", "repo": "https://git.example.invalid/django", "events": [{"introduced": "0"}]}
        ]}),
    );
    check(
        &adv,
        &p,
        &["3.2", "3.2.19", "4.1.9", "4.2", "4.2.2"],
        &["3.1", "3.2.20", "4.0.5", "4.1.10", "4.2.3", "5.0"],
    );
    let versions: Vec<String> = ["3.1", "3.2.19", "4.2.2", "4.2.3"]
        .map(String::from)
        .to_vec();
    assert_eq!(affected_versions(&adv, &p, &versions), ["3.2.19", "4.2.2"]);
    assert_eq!(
        newest_affected(&adv, &p, versions.iter().map(String::as_str)),
        Some("4.2.2")
    );
    assert_eq!(
        describe_affected(&adv, &p),
        [">= 3.2, < 3.2.20", ">= 4.1, < 4.1.10", ">= 4.2, < 4.2.3"]
    );
}

#[test]
fn git_ranges_alone_affect_nothing() {
    let p = pkg(Ecosystem::Npm, "thing");
    let adv = advisory(
        Ecosystem::Npm,
        "thing",
        range("GIT", json!([{"introduced": "0"}, {"fixed": "abcdef"}])),
    );
    assert!(affects(&adv, &p));
    check(&adv, &p, &[], &["1.0.0", "0.0.1"]);
}

#[test]
fn explicit_versions() {
    let p = pkg(Ecosystem::Pypi, "thing");
    let adv = advisory(
        Ecosystem::Pypi,
        "thing",
        json!({"versions": ["1.0", "1.1rc1", "weird-build"]}),
    );
    check(
        &adv,
        &p,
        &["1.0", "1.0.0", "1.1rc1", "1.1.0rc1", "weird-build"],
        &["1.1", "0.9"],
    );
    // Versions and ranges together.
    let npm = pkg(Ecosystem::Npm, "thing");
    let both = advisory(
        Ecosystem::Npm,
        "thing",
        json!({"versions": ["0.1.0"], "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.5"}]}]}),
    );
    check(&both, &npm, &["0.1.0", "1.0.4"], &["0.2.0", "1.0.5"]);
    assert_eq!(
        describe_affected(&both, &npm),
        [">= 1.0.0, < 1.0.5", "= 0.1.0"]
    );
}

#[test]
fn withdrawn_advisories_never_match() {
    let p = pkg(Ecosystem::Cargo, "thing");
    let mut adv = advisory(
        Ecosystem::Cargo,
        "thing",
        range("SEMVER", json!([{"introduced": "0"}])),
    );
    assert!(affects(&adv, &p) && is_affected(&adv, &p, "1.0.0"));
    adv.withdrawn = Some(Timestamp::parse("2024-02-01T00:00:00Z").unwrap());
    assert!(!affects(&adv, &p));
    assert!(!is_affected(&adv, &p, "1.0.0"));
    assert!(affected_versions(&adv, &p, &["1.0.0".into()]).is_empty());
}

#[test]
fn other_packages_and_ecosystems_do_not_match() {
    let adv = advisory(
        Ecosystem::Cargo,
        "serde-json",
        range("SEMVER", json!([{"introduced": "0"}])),
    );
    assert!(affects(&adv, &pkg(Ecosystem::Cargo, "serde_json")));
    assert!(is_affected(
        &adv,
        &pkg(Ecosystem::Cargo, "Serde_Json"),
        "1.0.0"
    ));
    assert!(!affects(&adv, &pkg(Ecosystem::Cargo, "serde")));
    assert!(!affects(&adv, &pkg(Ecosystem::Pypi, "serde-json")));
    assert!(!is_affected(
        &adv,
        &pkg(Ecosystem::Pypi, "serde-json"),
        "1.0.0"
    ));
}

#[test]
fn purl_only_entries_match() {
    let doc = json!({
        "id": "TEST-2", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"purl": "pkg:npm/%40types/node"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]}]
    });
    let adv = Advisory::from_osv_json(doc.to_string().as_bytes(), "t").unwrap();
    let p = pkg(Ecosystem::Npm, "@types/node");
    assert!(affects(&adv, &p));
    check(&adv, &p, &["0.9.0"], &["1.0.0"]);
}

#[test]
fn events_that_do_not_parse_are_skipped() {
    let p = pkg(Ecosystem::Cargo, "thing");
    let adv = advisory(
        Ecosystem::Cargo,
        "thing",
        range(
            "SEMVER",
            json!([{"introduced": "1.0.0"}, {"fixed": "one-point-five"}, {"fixed": "2.0.0"}]),
        ),
    );
    check(&adv, &p, &["1.7.0"], &["2.0.0", "0.1.0"]);
}

fn reqs(patched: &[&str], unaffected: &[&str]) -> SemverRequirements {
    SemverRequirements {
        patched: patched
            .iter()
            .map(|r| SemverReq::parse(r).unwrap())
            .collect(),
        unaffected: unaffected
            .iter()
            .map(|r| SemverReq::parse(r).unwrap())
            .collect(),
    }
}

fn rustsec(patched: &[&str], unaffected: &[&str]) -> Advisory {
    let mut adv = advisory(Ecosystem::Cargo, "thing", json!({}));
    adv.affected[0].semver_requirements = Some(reqs(patched, unaffected));
    adv
}

#[test]
fn semver_requirements_like_rustsec() {
    let p = pkg(Ecosystem::Cargo, "thing");
    let adv = rustsec(&[">= 1.2.3", "^0.9.5", "~0.8.7"], &["< 0.8.0"]);
    check(
        &adv,
        &p,
        &[
            "0.8.0",
            "0.8.6",
            "0.9.0",
            "0.9.4",
            "1.0.0",
            "1.2.2",
            "1.2.3-rc.1",
            "0.9.5-alpha",
        ],
        &[
            "0.7.9",
            "0.8.7",
            "0.8.9",
            "0.9.5",
            "0.9.99",
            "1.2.3",
            "1.3.0",
            "2.0.0-rc.1",
            "x",
        ],
    );
    assert_eq!(adv.fixed_versions(&p), ["0.8.7", "0.9.5", "1.2.3"]);
    assert_eq!(
        describe_affected(&adv, &p),
        ["all versions except >= 1.2.3, ^0.9.5, ~0.8.7, < 0.8.0"]
    );
    // No patched version: every version is affected.
    let unpatched = rustsec(&[], &[]);
    check(&unpatched, &p, &["0.0.1", "9.9.9"], &[]);
    assert_eq!(describe_affected(&unpatched, &p), ["all versions"]);
}

#[test]
fn requirement_operators_as_intervals() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "^1.2.3",
            &["1.2.3", "1.9.0"],
            &["1.2.2", "2.0.0-rc.1", "2.0.0", "1.2.3-rc.1"],
        ),
        ("^0.2.3", &["0.2.3", "0.2.9"], &["0.3.0", "0.2.2"]),
        ("^0.0.3", &["0.0.3"], &["0.0.4", "0.0.2"]),
        ("^0.0", &["0.0.0", "0.0.9"], &["0.1.0"]),
        ("^0", &["0.0.0", "0.9.0"], &["1.0.0"]),
        ("~1.2", &["1.2.0", "1.2.9"], &["1.3.0", "1.1.9"]),
        ("~1", &["1.0.0", "1.9.0"], &["2.0.0"]),
        (
            "=1.2.3",
            &["1.2.3", "1.2.3+build"],
            &["1.2.4", "1.2.3-rc.1"],
        ),
        ("=1.2", &["1.2.0", "1.2.7"], &["1.3.0", "1.3.0-alpha"]),
        ("1.2.*", &["1.2.0", "1.2.7"], &["1.3.0"]),
        ("> 1.2.3", &["1.2.4", "1.2.4-alpha"], &["1.2.3"]),
        ("> 1.2", &["1.3.0"], &["1.2.9"]),
        ("< 1.2.3", &["1.2.2", "1.2.3-rc.1"], &["1.2.3"]),
        ("< 1.2", &["1.1.9"], &["1.2.0", "1.2.0-rc.1"]),
        ("<= 1.2.3", &["1.2.3"], &["1.2.4-alpha"]),
        ("<= 1.2", &["1.2.9"], &["1.3.0"]),
        (
            ">= 0.5.0, < 0.5.3",
            &["0.5.0", "0.5.2"],
            &["0.4.9", "0.5.3"],
        ),
        (
            ">= 2.0.0-beta.2",
            &["2.0.0-beta.2", "2.0.0-rc.1", "2.0.0"],
            &["2.0.0-beta.1"],
        ),
    ];
    for (req, inside, outside) in cases {
        let r = SemverReq::parse(req).unwrap();
        for v in *inside {
            let v = semver::Version::parse(v).unwrap();
            assert!(
                r.req().comparators.iter().all(|c| admits(c, &v)),
                "{req} admits {v}"
            );
        }
        for v in *outside {
            let v = semver::Version::parse(v).unwrap();
            assert!(
                !r.req().comparators.iter().all(|c| admits(c, &v)),
                "{req} excludes {v}"
            );
        }
    }
}

#[test]
fn describe_last_affected_limit_and_open_ranges() {
    let p = pkg(Ecosystem::Npm, "thing");
    let adv = advisory(
        Ecosystem::Npm,
        "thing",
        range(
            "SEMVER",
            json!([{"introduced": "0"}, {"last_affected": "0.4.2"}, {"introduced": "1.0.0"}, {"limit": "2.0.0"}]),
        ),
    );
    assert_eq!(
        describe_affected(&adv, &p),
        ["<= 0.4.2 (limit 2.0.0)", ">= 1.0.0 (limit 2.0.0)"]
    );
    check(&adv, &p, &["0.4.2", "1.5.0"], &["0.5.0", "2.0.0"]);
}
