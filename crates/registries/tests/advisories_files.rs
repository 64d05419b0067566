//! Advisories read from files: the fixture OSV and RustSec files in
//! `tests/fixtures/advisories/`, matched per ecosystem, and the directory
//! source's incremental re-reading.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use pkgfed_registries::advisories::model::Timestamp;
use pkgfed_registries::advisories::{
    Advisory, AdvisoryError, DirectorySource, DirectoryState, affected_versions, affects,
    is_affected, newest_affected,
};
use pkgfed_registries::{Ecosystem, PackageId};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/advisories")
}

fn pkg(eco: Ecosystem, name: &str) -> PackageId {
    PackageId::new(eco, name).unwrap()
}

/// A fresh copy of the fixture directory in the temporary directory.
fn copy_fixtures() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pkgfed-advisories-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixtures(), &dir);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn all_advisories() -> Vec<Advisory> {
    let mut source = DirectorySource::new(fixtures());
    let scan = source.scan().unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    scan.changed.into_iter().map(|f| f.advisory).collect()
}

fn by_id<'a>(all: &'a [Advisory], id: &str) -> &'a Advisory {
    all.iter().find(|a| a.id == id).unwrap()
}

#[test]
fn the_fixture_directory_parses_and_skips_other_markdown() {
    let mut source = DirectorySource::new(fixtures());
    let scan = source.scan().unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let mut ids: Vec<&str> = scan
        .changed
        .iter()
        .map(|f| f.advisory.id.as_str())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "GHSA-2c5x-q9wm-f8hj",
            "GHSA-4r6h-8v6p-xvw6",
            "PYSEC-2099-17",
            "PYSEC-2099-18",
            "RUSTSEC-2099-0001",
            "RUSTSEC-2099-0002",
            "RUSTSEC-2099-0003",
        ]
    );
    assert!(scan.changed.iter().all(|f| f.new));
    assert!(
        scan.changed
            .iter()
            .any(|f| f.path == "rustsec/crates/smallvec/RUSTSEC-2099-0001.md")
    );
    // The two READMEs are remembered as "not an advisory".
    assert_eq!(source.state().files.len(), 9);
    assert_eq!(
        source.state().files["README.md"].id,
        None,
        "README is not an advisory"
    );
    let again = source.scan().unwrap();
    assert!(again.changed.is_empty() && again.removed.is_empty() && again.errors.is_empty());
    assert_eq!(again.unchanged, 9);
}

#[test]
fn cargo_osv_and_rustsec_agree_and_dedup_by_alias() {
    let all = all_advisories();
    let osv = by_id(&all, "GHSA-4r6h-8v6p-xvw6");
    let rustsec = by_id(&all, "RUSTSEC-2099-0002");
    let hyper = pkg(Ecosystem::Cargo, "hyper");
    let versions: Vec<String> = [
        "0.13.10",
        "0.14.0",
        "0.14.30",
        "0.14.31",
        "0.14.32",
        "1.0.0-rc.1",
        "1.0.0-rc.4",
        "1.0.0",
        "1.4.1",
        "1.4.2",
        "1.5.0",
    ]
    .map(String::from)
    .to_vec();
    let expected = [
        "0.14.0",
        "0.14.30",
        "1.0.0-rc.1",
        "1.0.0-rc.4",
        "1.0.0",
        "1.4.1",
    ];
    assert_eq!(affected_versions(osv, &hyper, &versions), expected);
    assert_eq!(affected_versions(rustsec, &hyper, &versions), expected);
    assert_eq!(
        newest_affected(osv, &hyper, versions.iter().map(String::as_str)),
        Some("1.4.1")
    );
    // The same vulnerability from two sources shares ids.
    assert!(osv.ids().iter().any(|id| rustsec.ids().contains(id)));
    assert!(osv.ids().contains(&"RUSTSEC-2099-0002"));
    assert_eq!(osv.fixed_versions(&hyper), ["0.14.31", "1.4.2"]);
    assert_eq!(rustsec.fixed_versions(&hyper), ["0.14.31", "1.4.2"]);
    let cvss = osv.cvss().unwrap();
    assert_eq!(cvss.base_score, Some(7.5));
    assert_eq!(osv.severity_label(), Some("HIGH"));
    assert!(!affects(osv, &pkg(Ecosystem::Cargo, "hyper-util")));
}

#[test]
fn rustsec_smallvec_and_informational() {
    let all = all_advisories();
    let smallvec = pkg(Ecosystem::Cargo, "smallvec");
    let a = by_id(&all, "RUSTSEC-2099-0001");
    // 0.7.0-rc.1 is past `^0.6.14` and before `>= 1.6.1`.
    for v in [
        "0.6.10",
        "0.6.13",
        "0.7.0-rc.1",
        "1.0.0",
        "1.6.0",
        "1.6.1-alpha.1",
    ] {
        assert!(is_affected(a, &smallvec, v), "{v}");
    }
    for v in ["0.6.9", "0.6.14", "0.6.99", "1.6.1", "1.13.2"] {
        assert!(!is_affected(a, &smallvec, v), "{v}");
    }
    assert_eq!(a.cvss().unwrap().base_score, Some(9.8));
    let old = by_id(&all, "RUSTSEC-2099-0003");
    assert_eq!(old.informational(), Some("unmaintained"));
    assert!(is_affected(
        old,
        &pkg(Ecosystem::Cargo, "oldcrate"),
        "0.1.0"
    ));
}

#[test]
fn npm_range_versions_and_purl_only_entries() {
    let all = all_advisories();
    let a = by_id(&all, "GHSA-2c5x-q9wm-f8hj");
    let left_pad = pkg(Ecosystem::Npm, "left-pad");
    for v in ["0.0.3", "1.1.3", "1.3.0", "1.3.1-beta.0"] {
        assert!(is_affected(a, &left_pad, v), "{v}");
    }
    for v in ["1.3.1", "1.4.0"] {
        assert!(!is_affected(a, &left_pad, v), "{v}");
    }
    let is = pkg(Ecosystem::Npm, "@sindresorhus/is");
    assert!(affects(a, &is));
    for v in ["4.0.0", "4.6.0", "5.0.0-beta.3"] {
        assert!(is_affected(a, &is, v), "{v}");
    }
    for v in ["3.1.2", "4.6.1", "5.0.0", "5.6.0"] {
        assert!(!is_affected(a, &is, v), "{v}");
    }
    assert_eq!(a.severity_label(), Some("MODERATE"));
    assert_eq!(a.cvss().unwrap().base_score, Some(5.9));
}

#[test]
fn pypi_pep440_names_versions_and_withdrawn() {
    let all = all_advisories();
    let a = by_id(&all, "PYSEC-2099-17");
    let requests = pkg(Ecosystem::Pypi, "requests");
    for v in ["2.3.0", "2.3", "2.30.0", "2.31.0rc1", "2.31.0.dev0"] {
        assert!(is_affected(a, &requests, v), "{v}");
    }
    for v in ["2.2.1", "2.3.0rc1", "2.31.0", "2.32.3"] {
        assert!(!is_affected(a, &requests, v), "{v}");
    }
    // PEP 503: the advisory says "Requests".
    assert!(affects(a, &pkg(Ecosystem::Pypi, "REQUESTS")));
    let cvss = a.cvss().unwrap();
    assert!(cvss.vector.starts_with("CVSS:4.0/") && cvss.base_score.is_none());

    let withdrawn = by_id(&all, "PYSEC-2099-18");
    let urllib3 = pkg(Ecosystem::Pypi, "urllib3");
    assert!(withdrawn.is_withdrawn());
    assert!(!affects(withdrawn, &urllib3));
    assert!(!is_affected(withdrawn, &urllib3, "1.26.0"));
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn rescans_parse_only_changed_files() {
    let dir = copy_fixtures();
    let mut source = DirectorySource::new(&dir);
    assert_eq!(source.scan().unwrap().changed.len(), 7);

    // A changed advisory (new summary and modified time).
    let path = dir.join("osv/npm/GHSA-2c5x-q9wm-f8hj.json");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "\"modified\": \"2099-03-05T08:00:00Z\"",
        "\"modified\": \"2099-03-06T09:30:00Z\"",
    );
    write(&path, &text.replace("Regular expression", "Quadratic"));
    // A deleted one and a new one.
    std::fs::remove_file(dir.join("rustsec/crates/oldcrate/RUSTSEC-2099-0003.md")).unwrap();
    write(
        &dir.join("osv/pypi/new/PYSEC-2099-19.json"),
        r#"{"id": "PYSEC-2099-19", "modified": "2099-06-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "urllib3"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}]}]}]}"#,
    );
    // Files that are neither advisories nor Markdown/JSON are not looked at;
    // hidden directories are skipped.
    write(&dir.join("osv/notes.txt"), "not an advisory");
    write(&dir.join(".git/HEAD.json"), "{broken");

    let scan = source.scan().unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let changed: Vec<(&str, bool)> = scan
        .changed
        .iter()
        .map(|f| (f.advisory.id.as_str(), f.new))
        .collect();
    assert_eq!(
        changed,
        // In path order.
        [("GHSA-2c5x-q9wm-f8hj", false), ("PYSEC-2099-19", true)]
    );
    assert_eq!(
        scan.changed[0].advisory.modified,
        Timestamp::parse("2099-03-06T09:30:00Z").unwrap()
    );
    assert_eq!(scan.removed.len(), 1);
    assert_eq!(scan.removed[0].id, "RUSTSEC-2099-0003");
    assert_eq!(
        scan.removed[0].path,
        "rustsec/crates/oldcrate/RUSTSEC-2099-0003.md"
    );
    assert_eq!(scan.unchanged, 7);

    // The state persists: a new source resuming from it sees no changes.
    let json = serde_json::to_string(source.state()).unwrap();
    let state: DirectoryState = serde_json::from_str(&json).unwrap();
    let mut resumed = DirectorySource::with_state(&dir, state);
    let scan = resumed.scan().unwrap();
    assert!(scan.changed.is_empty() && scan.removed.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_files_are_reported_once_without_failing_the_scan() {
    let dir = copy_fixtures();
    let mut source = DirectorySource::new(&dir);
    source.scan().unwrap();

    let bad_json = dir.join("osv/cargo/GHSA-4r6h-8v6p-xvw6.json");
    let original = std::fs::read_to_string(&bad_json).unwrap();
    write(
        &bad_json,
        &original.replace("{\"fixed\": \"0.14.31\"}", "{\"fixd\": \"0.14.31\"}"),
    );
    let bad_md = dir.join("rustsec/crates/bad/RUSTSEC-2099-0009.md");
    write(
        &bad_md,
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0009\"\npackage = \"bad\"\ndate = \"2099-13-45\"\n```\n# Bad\n",
    );

    let scan = source.scan().unwrap();
    assert!(scan.changed.is_empty(), "{:?}", scan.changed);
    assert!(scan.removed.is_empty(), "a broken file is not a removal");
    assert_eq!(scan.errors.len(), 2, "{:?}", scan.errors);
    let described: Vec<String> = scan.errors.iter().map(|e| e.to_string()).collect();
    match &scan.errors[0] {
        AdvisoryError::Invalid { file, field, .. } => {
            assert!(file.ends_with("GHSA-4r6h-8v6p-xvw6.json"), "{file}");
            assert_eq!(field, "affected[0].ranges[0].events[1]");
        }
        other => panic!("{other:?}"),
    }
    match &scan.errors[1] {
        AdvisoryError::Invalid { file, field, .. } => {
            assert!(file.ends_with("RUSTSEC-2099-0009.md"), "{file}");
            assert_eq!(field, "advisory.date");
        }
        other => panic!("{other:?}"),
    }
    assert!(described[0].contains("fixd"), "{}", described[0]);

    // Not reported again until they change.
    let scan = source.scan().unwrap();
    assert!(scan.errors.is_empty() && scan.changed.is_empty());

    // Fixed: the advisory is back (as changed, not new: its id was known).
    write(&bad_json, &original);
    let scan = source.scan().unwrap();
    assert_eq!(scan.changed.len(), 1);
    assert!(!scan.changed[0].new);

    // Deleting the file that broke while it had an id reports that id.
    std::fs::remove_file(&bad_json).unwrap();
    std::fs::remove_file(&bad_md).unwrap();
    let scan = source.scan().unwrap();
    assert_eq!(
        scan.removed
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["GHSA-4r6h-8v6p-xvw6"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_root_is_an_error() {
    let mut source = DirectorySource::new(fixtures().join("no-such-dir"));
    match source.scan().unwrap_err() {
        AdvisoryError::Io { path, .. } => assert!(path.ends_with("no-such-dir")),
        other => panic!("{other:?}"),
    }
}
