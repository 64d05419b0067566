//! `packaging/systemd/pkgfed.service`: it verifies clean, scores at most 2.0 in
//! `systemd-analyze security` (the score docs/deploy.md records), keeps the stop
//! semantics of `pkgfed serve`, and starts pkgfed for real under a private systemd.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pkgfed::config::Config;

use super::tools::{both, find, free_port, missing, pkgfed, repo_root, require, run};

const SYSTEMD_PACKAGE: &str = "apt-get install systemd";

fn unit_path() -> PathBuf {
    repo_root().join("packaging/systemd/pkgfed.service")
}

fn unit_text() -> String {
    std::fs::read_to_string(unit_path()).unwrap()
}

/// The unit's `[Service]` directives, each key with all its values in order.
pub(super) fn service_directives() -> BTreeMap<String, Vec<String>> {
    let unit = unit_text();
    let service = unit.split("[Service]").nth(1).unwrap();
    let service = service.split("\n[").next().unwrap();
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in service.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap();
        map.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    map
}

/// The value of `key=` in `[Service]` (the last assignment wins, as in systemd).
fn directive(service: &BTreeMap<String, Vec<String>>, key: &str) -> Option<String> {
    service.get(key)?.last().cloned()
}

/// The shipped unit with only its binary path pointed at the built binary, plus man
/// pages for `Documentation=man:pkgfed(1)`, so `verify` checks both for real.
fn verifiable_copy(dir: &Path) -> PathBuf {
    let shipped = unit_text();
    let installed = "ExecStart=/usr/local/bin/pkgfed ";
    assert_eq!(shipped.matches(installed).count(), 1, "one ExecStart");
    let unit = shipped.replace(installed, &format!("ExecStart={} ", pkgfed().display()));
    let path = dir.join("pkgfed.service");
    std::fs::write(&path, unit).unwrap();
    let out = run(Command::new(pkgfed())
        .args(["man", "--dir"])
        .arg(dir.join("man/man1")));
    assert!(out.status.success(), "{}", both(&out));
    path
}

#[test]
fn unit_verifies_without_warnings() {
    let Some(analyze) = require("systemd-analyze", SYSTEMD_PACKAGE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unit = verifiable_copy(dir.path());
    let out = run(Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .env("MANPATH", dir.path().join("man")));
    assert!(out.status.success(), "{}", both(&out));
    assert!(out.stderr.is_empty(), "warnings: {}", both(&out));
}

#[test]
fn unit_exposure_score_is_at_most_2_and_recorded_in_deploy_md() {
    let Some(analyze) = require("systemd-analyze", SYSTEMD_PACKAGE) else {
        return;
    };
    // --threshold is on the 0–100 scale of the printed 0.0–10.0 score.
    let out = run(Command::new(analyze)
        .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
        .arg(unit_path()));
    assert!(out.status.success(), "over 2.0: {}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let score = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for pkgfed.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no overall score in {text}"));
    let value: f64 = score.parse().unwrap();
    assert!(value <= 2.0, "exposure {value}");
    let deploy = std::fs::read_to_string(repo_root().join("docs/deploy.md")).unwrap();
    assert!(
        deploy.contains(&format!("exposure level **{score}**")),
        "docs/deploy.md must record the measured exposure level {score}"
    );
}

#[test]
fn unit_stops_like_pkgfed_serve_drains_and_fakes_no_reload() {
    let unit = service_directives();
    assert_eq!(directive(&unit, "KillSignal").as_deref(), Some("SIGTERM"));
    let stop = directive(&unit, "TimeoutStopSec").unwrap();
    let stop: u64 = stop.trim_end_matches('s').parse().unwrap();
    let grace = Config::default().server.shutdown_grace_seconds;
    assert!(
        stop > grace,
        "TimeoutStopSec {stop} must exceed the {grace} s drain"
    );
    assert!(
        directive(&unit, "ExecReload").is_none(),
        "pkgfed has no reload"
    );
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("CapabilityBoundingSet", ""),
        ("UMask", "0077"),
        ("DynamicUser", "yes"),
        ("StateDirectory", "pkgfed"),
    ] {
        assert_eq!(directive(&unit, key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(unit["SystemCallFilter"][0], "@system-service");
}

/// Boots `/lib/systemd/systemd` as PID 1 of private namespaces (see
/// `systemd_boot.sh`) and lets it start the shipped unit, verbatim.
#[test]
fn unit_starts_pkgfed_for_real_under_systemd_and_stops_it_cleanly() {
    let Some(_) = require("systemd-analyze", SYSTEMD_PACKAGE) else {
        return;
    };
    let manager = Path::new("/lib/systemd/systemd");
    if !manager.is_file() {
        return missing("no /lib/systemd/systemd", SYSTEMD_PACKAGE);
    }
    for tool in ["unshare", "curl", "timeout"] {
        if find(tool).is_none() {
            let install = "apt-get install util-linux curl coreutils";
            return missing(&format!("`{tool}` is not installed"), install);
        }
    }
    // Namespaces, overlay mounts and cgroups need root with CAP_SYS_ADMIN.
    let probe = run(Command::new("unshare").args(["--mount", "--pid", "--fork", "true"]));
    if !probe.status.success() {
        return missing(
            "cannot create mount and PID namespaces (needs root with CAP_SYS_ADMIN)",
            "run the tests as root",
        );
    }
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let script = repo_root().join("crates/pkgfed/tests/packaging/systemd_boot.sh");
    let out = run(Command::new("bash")
        .arg(script)
        .env("UNIT", unit_path())
        .env("PKGFED", pkgfed())
        .env("WORK", work.path())
        .env("PORT", port.to_string()));
    let read = |name: &str| {
        std::fs::read_to_string(work.path().join("out").join(name)).unwrap_or_default()
    };
    let report = || {
        [
            "manager.log",
            "seed.log",
            "pkgfed.log",
            "check.log",
            "after-stop",
        ]
        .map(|f| format!("--- {f}\n{}", read(f)))
        .join("\n")
    };
    assert!(out.status.success(), "{}\n{}", both(&out), report());
    assert_eq!(read("manager-exit").trim(), "0", "{}", report());
    assert!(
        read("seed-result").contains("Result=success"),
        "{}",
        report()
    );

    // Followable: WebFinger answers for the package with the configured domain.
    assert_eq!(read("webfinger.status"), "200", "{}", report());
    let jrd: serde_json::Value = serde_json::from_str(&read("webfinger.json")).unwrap();
    assert_eq!(jrd["subject"], "acct:serde@pkgs.example.test");
    // The secret came from the EnvironmentFile.
    assert_eq!(read("admin.status"), "200", "{}", report());

    // The sandbox is in force on the running process.
    let status = read("proc-status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    assert_ne!(field("Uid"), "0", "runs as a dynamic user");
    assert_eq!(field("CapEff"), "0000000000000000");
    assert_eq!(field("CapBnd"), "0000000000000000");
    assert_eq!(field("NoNewPrivs"), "1");
    assert_eq!(field("Seccomp"), "2", "system call filter active");
    assert_eq!(read("state-dir").trim(), "700 pkgfed");

    // systemctl stop: SIGTERM, drain, exit 0 well within TimeoutStopSec.
    let stopped = read("after-stop");
    for want in [
        "Result=success",
        "ExecMainCode=1",
        "ExecMainStatus=0",
        "ActiveState=inactive",
    ] {
        assert!(stopped.lines().any(|l| l == want), "{want}: {}", report());
    }
    let log = read("pkgfed.log");
    assert!(log.contains("pkgfed serving"), "{}", report());
    assert!(
        log.contains("shutting down: no new connections"),
        "{}",
        report()
    );
    assert!(log.contains("stopped"), "{}", report());
    assert!(
        !log.contains("systemd-test-admin-token"),
        "secret in the log"
    );
}
