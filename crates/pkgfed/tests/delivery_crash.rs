//! Crash safety of the real binary: a fan-out to 130 inboxes on 50 hosts is cut by
//! SIGKILL midway; the restarted server finishes it. Every inbox gets the activity
//! (zero missing), and only deliveries that were in flight at the kill may arrive
//! twice. On both backends (`common/db.rs`): the killed process's transactions on
//! PostgreSQL are rolled back by the server, its claims left for the restart.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::db::TestDb;
use common::fleet::Fleet;
use pkgfed::store::delivery::ActivityStatus;
use pkgfed::store::{NewFollower, SharedStore};

/// In flight at once in the server under test.
const CONCURRENCY: usize = 8;

/// The server process; killed if the test fails half-way.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pkgfed(dir: &Path, listen: &str, database_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pkgfed"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PKGFED_STORAGE_DATABASE_URL", database_url)
        .env("PKGFED_SERVER_LISTEN", listen)
        .env("PKGFED_SERVER_BASE_URL", format!("http://{listen}"))
        .env("PKGFED_SERVER_ALLOW_HTTP", "true")
        .env("PKGFED_DELIVERY_CONCURRENCY", CONCURRENCY.to_string())
        .env("PKGFED_DELIVERY_PER_HOST_CONCURRENCY", "2");
    cmd
}

async fn serve(dir: &Path, listen: &str, database_url: &str, log: &str) -> Server {
    let log = std::fs::File::create(dir.join(log)).unwrap();
    let child = pkgfed(dir, listen, database_url, &["serve", "--dev"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child);
    let url = format!("http://{listen}/.well-known/nodeinfo");
    let started = Instant::now();
    while reqwest::get(&url).await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

/// Waits (bounded) until `cond` holds.
async fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every inbox of the fan-out: 40 hosts with three followers at their own inboxes,
/// 10 hosts with four followers behind a shared inbox.
fn followers(fleet: &Fleet) -> (Vec<NewFollower>, BTreeSet<String>) {
    let mut all = Vec::new();
    for (i, h) in fleet.hosts.iter().enumerate() {
        let shared = i >= 40;
        let n = if shared { 4 } else { 3 };
        all.extend((0..n).map(|u| h.follower(&format!("u{u}"), shared)));
    }
    let inboxes = all
        .iter()
        .map(|f| f.shared_inbox.clone().unwrap_or_else(|| f.inbox.clone()))
        .collect();
    (all, inboxes)
}

fn received_per_inbox(fleet: &Fleet) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in fleet.received() {
        assert!(r.verified.is_ok(), "{r:?}");
        *counts
            .entry(format!("http://{}{}", r.host, r.path))
            .or_default() += 1;
    }
    counts
}

async fn status(store: &SharedStore, id: &str) -> (ActivityStatus, Vec<(String, String)>) {
    let view = store.activity_status(id).await.unwrap().unwrap();
    let rows = view
        .deliveries
        .into_iter()
        .map(|d| (d.inbox, d.state))
        .collect();
    (view.status, rows)
}

both_backends!(multi_thread; sigkill_mid_fan_out_loses_nothing_and_duplicates_only_in_flight);

async fn sigkill_mid_fan_out_loses_nothing_and_duplicates_only_in_flight(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let out = pkgfed(
        dir.path(),
        &listen,
        &url,
        &["packages", "add", "pkg:cargo/serde"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The test's own handle on the database, as another process would have.
    let store = db.open().await;
    let package = store.list_packages(None, 1).await.unwrap().remove(0);
    let fleet = Fleet::start(50).await;
    // Slow inboxes: the fan-out takes a couple of seconds, so the kill lands midway.
    fleet.set_delay(Duration::from_millis(120));
    let (all, inboxes) = followers(&fleet);
    for f in &all {
        store.add_follower(package.id, f).await.unwrap();
    }
    assert_eq!(inboxes.len(), 130);

    let server = serve(dir.path(), &listen, &url, "first.log").await;
    let actor = format!("http://{listen}/packages/{}", package.handle);
    let (outbound, audience) = common::manual::queued_post(&actor, &package, 1);
    let id = outbound.activity_id.clone();
    let now = pkgfed::store::now_unix() * 1000;
    let queued = store.publish(&outbound, &audience, now).await.unwrap();
    assert_eq!(queued.deliveries, 130);

    // SIGKILL once some, but far from all, inboxes have it.
    wait_until("the fan-out to start", Duration::from_secs(20), || {
        fleet.received().len() >= 30
    })
    .await;
    let killed = Command::new("kill")
        .args(["-KILL", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(server);
    let at_kill = fleet.received().len();
    assert!(at_kill < 130, "the fan-out finished before the kill");

    // What the database says was in flight at the kill: the only deliveries that may
    // have reached their inbox without being recorded.
    let (_, rows) = status(&store, &id).await;
    let in_flight: BTreeSet<String> = rows
        .iter()
        .filter(|(_, state)| state == "in_flight")
        .map(|(inbox, _)| inbox.clone())
        .collect();
    assert!(in_flight.len() <= CONCURRENCY, "{in_flight:?}");
    assert!(rows.iter().any(|(_, s)| s == "succeeded"));
    assert!(rows.iter().any(|(_, s)| s == "pending"));

    // Restart on the same database: the fan-out completes.
    let server = serve(dir.path(), &listen, &url, "second.log").await;
    wait_until("every inbox to have it", Duration::from_secs(30), || {
        received_per_inbox(&fleet).len() == inboxes.len()
    })
    .await;
    let started = Instant::now();
    while status(&store, &id).await.0 != ActivityStatus::Completed {
        assert!(started.elapsed() < Duration::from_secs(10), "not completed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server);

    let counts = received_per_inbox(&fleet);
    let got: BTreeSet<String> = counts.keys().cloned().collect();
    let missing: Vec<_> = inboxes.difference(&got).collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert_eq!(got, inboxes, "nothing sent anywhere else");
    for (inbox, n) in &counts {
        assert!(*n <= 2, "{inbox} got it {n} times");
        if *n == 2 {
            assert!(
                in_flight.contains(inbox),
                "{inbox} got a duplicate but was not in flight at the kill ({in_flight:?})"
            );
        }
    }
    let duplicates = counts.values().filter(|n| **n == 2).count();
    eprintln!(
        "received before the kill: {at_kill}; in flight at the kill: {}; duplicates: {duplicates}",
        in_flight.len()
    );
    let (_, rows) = status(&store, &id).await;
    assert!(rows.iter().all(|(_, s)| s == "succeeded"), "{rows:?}");
    if !in_flight.is_empty() {
        let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
        assert!(log.contains("resuming deliveries left in flight"), "{log}");
    }
    // The start-up log names the database without its password.
    let log = std::fs::read_to_string(dir.path().join("first.log")).unwrap();
    if let Some(password) = url::Url::parse(&url).unwrap().password() {
        assert!(!log.contains(&format!(":{password}@")), "{log}");
        assert!(log.contains(":redacted@"), "{log}");
    }
}
