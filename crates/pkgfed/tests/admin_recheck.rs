//! Re-checking every tracked package now (`POST /api/v1/admin/registries/recheck` and
//! `pkgfed admin recheck`), against the loopback fixture registry: the checks happen
//! long before the schedule would have made them, a release published meanwhile is
//! found, the CLI follows the backlog with plain progress lines, and a bad ecosystem
//! is refused with the reason and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::TestServer;
use common::process::{pkgfed_command, text};
use common::watch::{add_follower_row, baseline, now_unix, use_fixture, within_30s};
use pkgfed::store::Package;
use pkgfed_registries::fixtures::FixtureRegistry;
use serde_json::Value;

/// Requests to the fixture registry whose path names `name`.
fn asked_for(fixture: &FixtureRegistry, name: &str) -> usize {
    fixture
        .requests()
        .iter()
        .filter(|r| r.path.contains(name))
        .count()
}

async fn watched(server: &TestServer, purl: &str) -> Package {
    let package = server.add_package(purl).await;
    add_follower_row(server, package.id, "x").await;
    baseline(server, &package).await;
    package
}

/// `pkgfed admin --url <server> --token <token> <args>` as a subprocess.
async fn admin(server: &TestServer, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let url = server.url("");
    let mut all = vec!["admin", "--url", url.trim_end_matches('/'), "--token"];
    all.push(&server.state.admin_token);
    all.extend_from_slice(args);
    let mut cmd = pkgfed_command(dir, "127.0.0.1:9", &all);
    // The server runs on this test's runtime: wait for the child off it.
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn next_checks(server: &TestServer, packages: &[&Package]) -> Vec<i64> {
    let mut out = Vec::new();
    for p in packages {
        let w = server.state.store.watch(p.id).await.unwrap().unwrap();
        out.push(w.next_check_at);
    }
    out
}

#[tokio::test]
async fn recheck_checks_every_tracked_package_now_and_refuses_bad_ecosystems() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        // Hours between checks: only a re-check makes one happen within the test.
        c.watch.min_interval_seconds = 3600;
        c.watch.interval_seconds = 3600;
        c.watch.max_interval_seconds = 7200;
    })
    .await;
    let serde = watched(&server, "pkg:cargo/serde").await;
    let left_pad = watched(&server, "pkg:npm/left-pad").await;
    let dir = tempfile::tempdir().unwrap();
    let scheduled = next_checks(&server, &[&serde, &left_pad]).await;
    assert!(
        scheduled
            .iter()
            .all(|&at| at > server.state.clock.now_ms() + 3_000_000),
        "the next checks are about an hour away: {scheduled:?}"
    );

    // Refused: an unknown ecosystem, and one with no registry configured. Nothing is
    // marked, nothing is asked of the registry.
    fixture.clear_requests();
    for (q, reason) in [
        ("maven", "`ecosystem`"),
        ("generic", "no registry configured"),
    ] {
        let res = server
            .client
            .post(server.url(&format!("/api/v1/admin/registries/recheck?ecosystem={q}")))
            .bearer_auth(&server.state.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "ecosystem={q}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{q}: {body}"
        );
    }
    let unauthorized = server
        .client
        .post(server.url("/api/v1/admin/registries/recheck"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let out = admin(&server, dir.path(), &["recheck", "--ecosystem", "maven"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ecosystem"),
        "{}",
        text(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(next_checks(&server, &[&serde, &left_pad]).await, scheduled);
    assert_eq!(fixture.request_count(), 0, "no check was made");

    // One ecosystem, without waiting: only npm's package is checked, and the release
    // published since the baseline is found.
    fixture.edit(|r| r.npm_publish("left-pad", "9.0.0", now_unix()));
    let out = admin(
        &server,
        dir.path(),
        &["--json", "recheck", "--ecosystem", "npm", "--no-wait"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["marked"], serde_json::json!({ "npm": 1 }));
    let store = server.state.store.clone();
    within_30s("left-pad 9.0.0 found by the re-check", || async {
        store
            .releases(left_pad.id)
            .await
            .unwrap()
            .iter()
            .any(|r| r.version == "9.0.0")
    })
    .await;
    assert_eq!(asked_for(&fixture, "serde"), 0, "cargo was not re-checked");

    // Every registry, waiting: the CLI follows the backlog to the end with plain
    // progress lines (stderr is not a terminal here).
    fixture.clear_requests();
    let out = admin(&server, dir.path(), &["recheck"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("marked 2 tracked package(s) for a check (cargo 1, npm 1, pypi 0)"),
        "{stdout}"
    );
    assert!(stdout.contains("all checked"), "{stdout}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().any(|l| l == "checking packages: 2/2"),
        "progress ends at 2/2: {stderr}"
    );
    assert!(asked_for(&fixture, "serde") >= 1, "serde was checked");
    assert!(asked_for(&fixture, "left-pad") >= 1, "left-pad was checked");
    for at in next_checks(&server, &[&serde, &left_pad]).await {
        assert!(
            at > server.state.clock.now_ms() + 3_000_000,
            "back on the hourly schedule after the check"
        );
    }
}
