//! `pkgfed init`: the file it writes parses, `config check` accepts it, it holds a
//! generated token and is private; an existing file is kept without `--force`; bad
//! input is named and writes nothing. Also `--help` examples and `packages list --json`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

fn pkgfed(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pkgfed"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn init_writes_a_private_commented_file_that_config_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = pkgfed(
        dir.path(),
        &[
            "init",
            "--domain",
            "pkgs.example.org",
            "--ecosystems",
            "cargo,npm",
            "--cargo-index-url",
            "https://index.cargo-registry.example/",
            "--npm-registry-url",
            "https://npm-registry.example/",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("next steps"), "{said}");
    assert!(said.contains("pkgfed config check"), "{said}");
    let path = dir.path().join("pkgfed.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.starts_with("# pkgfed configuration"), "{written}");
    let config = pkgfed::config::Config::from_toml(&written, None).unwrap();
    assert_eq!(config.server.base_url, "https://pkgs.example.org");
    assert_eq!(config.admin.token.len(), 43, "a generated token");
    assert_eq!(
        config.cargo.index_url,
        "https://index.cargo-registry.example/"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let check = pkgfed(dir.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let printed = text(&check.stdout);
    assert!(
        !printed.contains(&config.admin.token),
        "the token is redacted"
    );

    // An existing file is kept; --force replaces it (with a new token).
    let again = pkgfed(dir.path(), &["init", "--domain", "other.example.org"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        written,
        "unchanged"
    );
    let forced = pkgfed(
        dir.path(),
        &[
            "init",
            "--domain",
            "other.example.org",
            "--ecosystems",
            "pypi",
            "--force",
        ],
    );
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let replaced = std::fs::read_to_string(&path).unwrap();
    assert!(replaced.contains("https://other.example.org"));
    assert!(!replaced.contains(&config.admin.token), "a new token");
    // Without the registry endpoint, the next steps name the key, and config check
    // refuses the file by the same key.
    assert!(
        text(&forced.stdout).contains("set pypi.url"),
        "{}",
        text(&forced.stdout)
    );
    let check = pkgfed(dir.path(), &["config", "check"]);
    assert!(!check.status.success());
    assert!(
        text(&check.stderr).contains("pypi.url"),
        "{}",
        text(&check.stderr)
    );
}

#[test]
fn init_refuses_bad_input_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (args, names) in [
        (
            vec!["init", "--domain", "https://pkgs.example.org"],
            "--domain",
        ),
        (vec!["init", "--domain", "pkgs.example.org/sub"], "--domain"),
        (
            vec![
                "init",
                "--domain",
                "pkgs.example.org",
                "--cargo-index-url",
                "ftp://x",
            ],
            "--cargo-index-url",
        ),
        (
            vec![
                "init",
                "--domain",
                "pkgs.example.org",
                "--ecosystems",
                "maven",
            ],
            "maven",
        ),
    ] {
        let out = pkgfed(dir.path(), &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(names),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // --config names the file to write.
    let out = pkgfed(
        dir.path(),
        &[
            "--config",
            "etc.toml",
            "init",
            "--domain",
            "pkgs.example.org",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("etc.toml").exists());
}

#[test]
fn help_shows_examples_and_packages_list_speaks_json() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        vec!["init", "--help"],
        vec!["admin", "import-packages", "--help"],
        vec!["packages", "list", "--help"],
    ] {
        let out = pkgfed(dir.path(), &cmd);
        assert!(out.status.success());
        assert!(
            text(&out.stdout).contains("Example:\n  "),
            "{cmd:?}: {}",
            text(&out.stdout)
        );
    }
    let out = pkgfed(dir.path(), &["packages", "add", "pkg:cargo/serde"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    pkgfed(dir.path(), &["packages", "add", "pkg:npm/%40types/node"]);
    let out = pkgfed(dir.path(), &["packages", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let purls: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(purls, ["pkg:cargo/serde", "pkg:npm/%40types/node"]);
    assert_eq!(list[0]["ecosystem"], "cargo");
    assert_eq!(list[0]["handle"], "cargo.serde");
}
