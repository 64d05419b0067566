//! Tests of the advisory model: OSV and RustSec-style records, validation, queries.

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
