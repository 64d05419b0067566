//! The `pkgfed` binary: configuration errors, `config check`, `packages` commands and
//! `serve --dev` with a clean SIGTERM shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::process::{Running, free_listen, pkgfed_command, raw_get, wait_healthy};

fn pkgfed(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pkgfed"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

use common::process::text;

#[test]
fn serve_without_base_url_names_the_key_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = pkgfed(dir.path(), &["serve"], &[]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("server.base_url"), "{err}");
    assert!(err.contains("PKGFED_SERVER_BASE_URL"), "{err}");
    assert!(err.contains("--dev"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no database created"
    );
}

#[test]
fn serve_without_a_registry_endpoint_names_the_key_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = ("PKGFED_SERVER_BASE_URL", "https://pkgs.example.org");
    let out = pkgfed(dir.path(), &["serve"], &[base]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cargo.index_url"), "{err}");
    assert!(err.contains("PKGFED_CARGO_INDEX_URL"), "{err}");
    // With cargo configured, the next missing one is named.
    let out = pkgfed(
        dir.path(),
        &["serve"],
        &[
            base,
            ("PKGFED_CARGO_INDEX_URL", "http://127.0.0.1:9/index/"),
            ("PKGFED_PACKAGES_ECOSYSTEMS", "cargo,npm"),
        ],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("npm.registry_url"), "{err}");
    // A malformed endpoint is refused by name too.
    let out = pkgfed(
        dir.path(),
        &["serve"],
        &[
            base,
            ("PKGFED_PACKAGES_ECOSYSTEMS", "pypi"),
            ("PKGFED_PYPI_URL", "not a url"),
        ],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("pypi.url"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no database created"
    );
}

#[test]
fn config_check_prints_effective_values_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pkgfed.toml"),
        "[server]\nbase_url = \"https://pkgs.example.org\"\n[storage]\ndatabase_url = \"sqlite://u:hunter2@x/pkgfed.db\"\n\
         [packages]\necosystems = [\"cargo\"]\n[cargo]\nindex_url = \"https://index.registry.example/\"\n",
    )
    .unwrap();
    // What serve would refuse, check refuses: an enabled ecosystem without its endpoint.
    let out = pkgfed(
        dir.path(),
        &["config", "check"],
        &[("PKGFED_PACKAGES_ECOSYSTEMS", "cargo,npm")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("npm.registry_url"),
        "{}",
        text(&out.stderr)
    );
    let out = pkgfed(
        dir.path(),
        &["config", "check"],
        &[("PKGFED_FEDERATION_BLOCKED_DOMAINS", "bad.example")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("base_url = \"https://pkgs.example.org\""),
        "{printed}"
    );
    assert!(
        printed.contains("bad.example"),
        "env override applied: {printed}"
    );
    assert!(!printed.contains("hunter2"), "{printed}");

    // Plain http needs the explicit local-testing switch.
    let out = pkgfed(
        dir.path(),
        &["config", "check"],
        &[("PKGFED_SERVER_BASE_URL", "http://pkgs.example.org")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("allow_http"),
        "{}",
        text(&out.stderr)
    );
    let out = pkgfed(
        dir.path(),
        &["config", "check"],
        &[
            ("PKGFED_SERVER_BASE_URL", "http://pkgs.example.org"),
            ("PKGFED_SERVER_ALLOW_HTTP", "true"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Typos are errors, not silently ignored.
    let out = pkgfed(
        dir.path(),
        &["config", "check"],
        &[("PKGFED_SERVER_BASEURL", "x")],
    );
    assert!(
        text(&out.stderr).contains("PKGFED_SERVER_BASEURL"),
        "{}",
        text(&out.stderr)
    );
    let out = pkgfed(
        dir.path(),
        &["--config", "missing.toml", "config", "check"],
        &[],
    );
    assert!(
        text(&out.stderr).contains("missing.toml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn packages_add_list_show_remove() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PKGFED_SERVER_BASE_URL", "https://pkgs.example.org")];
    let out = pkgfed(
        dir.path(),
        &[
            "packages",
            "add",
            "pkg:npm/%40types/node",
            "--description",
            "Node.js types",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("pkg:npm/%40types/node"), "{shown}");
    assert!(shown.contains("@pkgs.example.org"), "{shown}");
    assert!(
        shown.contains("https://pkgs.example.org/packages/"),
        "{shown}"
    );

    // Adding it again, or something invalid, is refused and changes nothing.
    let out = pkgfed(
        dir.path(),
        &["packages", "add", "pkg:npm/@types/node"],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already added"),
        "{}",
        text(&out.stderr)
    );
    let out = pkgfed(
        dir.path(),
        &["packages", "add", "pkg:maven/org.example/x"],
        &env,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("maven"), "{}", text(&out.stderr));
    let out = pkgfed(
        dir.path(),
        &[
            "packages",
            "add",
            "pkg:cargo/serde",
            "--homepage",
            "javascript:alert(1)",
        ],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--homepage"),
        "{}",
        text(&out.stderr)
    );

    let out = pkgfed(dir.path(), &["packages", "list"], &env);
    let listed = text(&out.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");

    let out = pkgfed(
        dir.path(),
        &["packages", "show", "pkg:npm/%40types/node"],
        &env,
    );
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Node.js types"));
    assert!(text(&out.stdout).contains("followers:   0"));

    let out = pkgfed(
        dir.path(),
        &["packages", "remove", "pkg:npm/%40types/node"],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = pkgfed(
        dir.path(),
        &["packages", "show", "pkg:npm/%40types/node"],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no package"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn serve_dev_starts_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let mut child = Running(
        pkgfed_command(dir.path(), &listen, &["serve", "--dev"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_healthy(&listen);
    let nodeinfo = raw_get(&listen, "/.well-known/nodeinfo", "").unwrap();
    assert!(nodeinfo.starts_with("HTTP/1.1 200"), "{nodeinfo}");
    assert!(
        nodeinfo.contains(&format!("http://{listen}/nodeinfo/2.1")),
        "{nodeinfo}"
    );
    assert!(
        dir.path().join("pkgfed.db").exists(),
        "database created on first start"
    );
    child.signal("-TERM");
    let exit = child.wait_exit("the server after SIGTERM");
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(exit.success(), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        stderr.contains("allow_private_addresses"),
        "dev mode warns loudly: {stderr}"
    );
}

#[test]
fn the_instance_key_is_rotated_only_while_pkgfed_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let actor_pem = |listen: &str| {
        let res = raw_get(listen, "/actor", "Accept: application/activity+json\r\n").unwrap();
        let body = &res[res.find("\r\n\r\n").unwrap() + 4..];
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let rotate = |args: &[&str]| {
        let mut all = vec!["packages", "rotate-key"];
        all.extend_from_slice(args);
        pkgfed_command(dir.path(), &listen, &all).output().unwrap()
    };

    let mut server = common::process::serve_dev(dir.path(), &listen);
    let old = actor_pem(&listen);
    let out = rotate(&["--instance"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("stop it first"),
        "{}",
        text(&out.stderr)
    );
    // Neither a package nor --instance, or both: named, nothing changes.
    let out = rotate(&[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--instance"),
        "{}",
        text(&out.stderr)
    );
    let out = rotate(&["pkg:cargo/serde", "--instance"]);
    assert!(!out.status.success());
    assert_eq!(
        actor_pem(&listen),
        old,
        "the running server's key is unchanged"
    );
    server.signal("-TERM");
    assert!(server.wait_exit("the server after SIGTERM").success());

    let out = rotate(&["--instance"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("rotated the instance actor's key"));
    let _server = common::process::serve_dev(dir.path(), &listen);
    let new = actor_pem(&listen);
    assert_ne!(new, old, "the restarted server serves the new key");
}
