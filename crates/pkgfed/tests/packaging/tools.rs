//! Finding and running the external tools the packaging checks need.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `packaging/`, `flake.nix` and `Dockerfile` live).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built `pkgfed` binary.
pub fn pkgfed() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pkgfed"))
}

/// True in CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `tool` on `PATH` (or an absolute path that exists).
pub fn find(tool: &str) -> Option<PathBuf> {
    let candidate = Path::new(tool);
    if candidate.is_absolute() {
        return candidate.is_file().then(|| candidate.to_owned());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// `tool`, or — when it is missing — a skip outside CI and a failure in CI naming
/// `install`, what provides it.
pub fn require(tool: &str, install: &str) -> Option<PathBuf> {
    if let Some(path) = find(tool) {
        return Some(path);
    }
    missing(&format!("`{tool}` is not installed"), install);
    None
}

/// Reports an unmet precondition: panics in CI, prints why the test skips elsewhere.
pub fn missing(what: &str, install: &str) {
    assert!(!in_ci(), "{what}: {install} (.ci/run must provide it)");
    eprintln!("skipping: {what}: {install}");
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `cmd`, returning its output; panics only when it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Asserts that `toml` is a configuration `pkgfed config check` accepts (with no
/// environment), as `pkgfed serve` would.
pub fn assert_config_accepted(toml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pkgfed.toml");
    std::fs::write(&file, toml).unwrap();
    let out = run(Command::new(pkgfed())
        .arg("--config")
        .arg(&file)
        .args(["config", "check"])
        .env_clear());
    assert!(out.status.success(), "{toml}\n{}", both(&out));
}

/// stdout and stderr of `out`, for assertion messages.
pub fn both(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
