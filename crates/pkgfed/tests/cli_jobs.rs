//! The long admin jobs against a `pkgfed serve --dev` subprocess: importing packages
//! from a file (a bad line is named and nothing is imported; progress as plain lines
//! when stderr is not a terminal; a second run skips what exists), the cleanup of
//! dead followers, and `--json` output of the admin list commands.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::process::Output;

use common::process::{free_listen, pkgfed_command, serve_dev, text};
use serde_json::Value;

fn run(dir: &Path, listen: &str, args: &[&str]) -> Output {
    pkgfed_command(dir, listen, args).output().unwrap()
}

fn packages(dir: &Path, listen: &str) -> Vec<String> {
    let out = run(dir, listen, &["packages", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn import_packages_checks_every_line_first_and_shows_progress() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let _server = serve_dev(dir.path(), &listen);

    // Line 7 is not a purl and line 9 names a disabled ecosystem: both are named,
    // nothing is imported.
    let mut lines: Vec<String> = (1..=6).map(|i| format!("pkg:cargo/crate-{i}")).collect();
    lines.push("cargo/not-a-purl".into());
    lines.push("# a comment".into());
    lines.push("pkg:maven/org.example/x".into());
    std::fs::write(dir.path().join("bad.txt"), lines.join("\n")).unwrap();
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "bad.txt"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.txt:7:"), "{err}");
    assert!(err.contains("bad.txt:9:"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert!(packages(dir.path(), &listen).is_empty(), "no state change");
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "missing.txt"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("missing.txt"),
        "{}",
        text(&out.stderr)
    );

    // 27 good lines (and a blank one): two batches, each a plain progress line.
    let mut good: Vec<String> = (1..=26).map(|i| format!("pkg:cargo/crate-{i}")).collect();
    good.insert(3, String::new());
    good.push("pkg:npm/%40types/node".into());
    std::fs::write(dir.path().join("good.txt"), good.join("\n")).unwrap();
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "good.txt"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let progress: Vec<String> = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("importing packages: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        progress,
        ["importing packages: 25/27", "importing packages: 27/27"],
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("imported 27 new package(s); 0 already present"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(packages(dir.path(), &listen).len(), 27);

    // Again, with --json: everything exists, nothing is created twice.
    let out = run(
        dir.path(),
        &listen,
        &["admin", "--json", "import-packages", "good.txt"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["created"].as_array().unwrap().len(), 0);
    assert_eq!(v["existing"].as_array().unwrap().len(), 27);
    assert_eq!(packages(dir.path(), &listen).len(), 27);

    // The cleanup job with nothing to remove, and the list commands' --json.
    let out = run(
        dir.path(),
        &listen,
        &["admin", "--json", "cleanup-dead-followers"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["removed"], 0);
    for (cmd, key) in [
        ("failures", "failures"),
        ("dead-followers", "dead_followers"),
        ("flagged-domains", "flagged_domains"),
        ("hosts", "hosts"),
        ("registries", "registries"),
    ] {
        let out = run(dir.path(), &listen, &["admin", "--json", cmd]);
        assert!(out.status.success(), "{cmd}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{cmd} --json is not JSON ({e}): {}", text(&out.stdout)));
        assert!(v[key].is_array(), "{cmd}: {v}");
    }
}
