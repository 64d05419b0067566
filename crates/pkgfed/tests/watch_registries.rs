//! Registry watching per ecosystem and under faults, against the loopback fixture
//! registry serving recorded responses: npm prereleases, deprecations and unpublished
//! versions; PyPI releases, yanks and the prerelease setting; 304 revalidation; a
//! malformed package that does not disturb others; 429 backing the registry off;
//! watching stopping with the last follower.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::watch::{
    add_follower_row, admin_get, baseline, follow_and_wait_for_baseline, now_unix,
    received_of_type, registry_health, use_fixture, within_30s,
};
use common::{Peer, TestServer};
use pkgfed::store::Package;
use pkgfed_registries::fixtures::{Fault, FixtureRegistry};
use serde_json::Value;

/// Adds `purl` and has `alice` of `peer` follow it; waits for the baseline.
async fn follow(server: &TestServer, peer: &Peer, purl: &str) -> Package {
    let package = server.add_package(purl).await;
    follow_and_wait_for_baseline(server, peer, &package).await;
    package
}

/// Adds `purl` with a follower row (no peer) and waits for the baseline.
async fn watched(server: &TestServer, purl: &str) -> Package {
    let package = server.add_package(purl).await;
    add_follower_row(server, package.id, "x").await;
    baseline(server, &package).await;
    package
}

fn tags(note: &Value) -> Vec<String> {
    note["tag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn npm_prerelease_deprecation_and_unpublish() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| use_fixture(c, &fixture)).await;
    let peer = Peer::start().await;
    let package = follow(&server, &peer, "pkg:npm/left-pad").await;
    assert!(
        received_of_type(&peer, "Create").is_empty(),
        "the baseline posts nothing"
    );

    fixture.edit(|r| r.npm_publish("left-pad", "2.0.0-beta.1", now_unix()));
    within_30s("the Create", || async {
        received_of_type(&peer, "Create").len() == 1
    })
    .await;
    let create = received_of_type(&peer, "Create").remove(0);
    let note = &create["object"];
    assert_eq!(tags(note), ["#npm", "#leftpad", "#release", "#prerelease"]);
    assert_eq!(
        note["attachment"][1]["value"],
        "pkg:npm/left-pad@2.0.0-beta.1"
    );
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("https://npm.test/package/left-pad/v/2.0.0-beta.1")
    );

    // Deprecation: an Update of the post, once.
    assert!(fixture.edit(|r| r.npm_deprecate(
        "left-pad",
        "2.0.0-beta.1",
        "use String.prototype.padStart"
    )));
    let update = peer
        .wait_for("Update of the Note", |r| {
            r.body["type"] == "Update" && r.body["object"]["type"] == "Note"
        })
        .await;
    assert!(update.verified.is_ok());
    assert_eq!(update.body["object"]["id"], note["id"]);
    assert!(
        update.body["object"]["content"]
            .as_str()
            .unwrap()
            .contains("deprecated: use String.prototype.padStart")
    );
    let stored = server
        .get_json(&format!(
            "/packages/{}/releases/2.0.0-beta.1",
            package.handle
        ))
        .await;
    assert!(stored["content"].as_str().unwrap().contains("deprecated"));

    // A version that disappears from the packument: its post is deleted.
    assert!(fixture.edit(|r| r.npm_unpublish("left-pad", "2.0.0-beta.1")));
    let delete = peer
        .wait_for("Delete", |r| r.body["type"] == "Delete")
        .await;
    assert_eq!(delete.body["object"]["id"], note["id"]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let note_updates = received_of_type(&peer, "Update")
        .into_iter()
        .filter(|u| u["object"]["type"] == "Note")
        .count();
    assert_eq!(note_updates, 1, "the deprecation is sent once");
    assert_eq!(
        received_of_type(&peer, "Delete").len(),
        1,
        "the Delete is sent once"
    );
}

#[tokio::test]
async fn pypi_release_yank_and_prereleases_off() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.watch.prereleases = false;
    })
    .await;
    let peer = Peer::start().await;
    follow(&server, &peer, "pkg:pypi/Requests").await;

    // A prerelease and a final release between two checks: only the final is posted.
    fixture.edit(|r| {
        r.pypi_publish("requests", "2.40.0rc1", now_unix());
        r.pypi_publish("requests", "2.40.0", now_unix());
    });
    within_30s("the Create", || async {
        !received_of_type(&peer, "Create").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let creates = received_of_type(&peer, "Create");
    assert_eq!(creates.len(), 1, "{creates:#?}");
    assert_eq!(
        creates[0]["object"]["attachment"][1]["value"],
        "pkg:pypi/requests@2.40.0"
    );

    assert!(fixture.edit(|r| r.pypi_yank("requests", "2.40.0", Some("broken wheel"))));
    let delete = peer
        .wait_for("Delete", |r| r.body["type"] == "Delete")
        .await;
    assert_eq!(delete.body["object"]["id"], creates[0]["object"]["id"]);
}

#[tokio::test]
async fn unchanged_packages_cost_a_304_and_one_malformed_package_disturbs_no_other() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| use_fixture(c, &fixture)).await;
    let log = watched(&server, "pkg:cargo/log").await;
    let peer = Peer::start().await;
    let anyhow = follow(&server, &peer, "pkg:cargo/anyhow").await;

    // Revalidation: later checks are conditional and answered 304.
    within_30s("304s", || async { fixture.not_modified_count() >= 4 }).await;

    // log's index file turns into garbage: log records errors, anyhow goes on.
    fixture.edit(|r| r.set_raw("/cargo/index/3/l/log", 200, "text/plain", b"{not json"));
    let store = server.state.store.clone();
    within_30s("log's error recorded", || async {
        store
            .watch(log.id)
            .await
            .unwrap()
            .unwrap()
            .consecutive_errors
            > 0
    })
    .await;
    fixture.edit(|r| r.cargo_publish("anyhow", "1.0.999", Some(now_unix())));
    within_30s("anyhow's Create", || async {
        received_of_type(&peer, "Create").len() == 1
    })
    .await;
    let w = store.watch(anyhow.id).await.unwrap().unwrap();
    assert_eq!(w.consecutive_errors, 0);
    // The admin API shows the erroring package.
    let cargo = registry_health(&server, "cargo").await;
    assert_eq!(cargo["tracked"], 2);
    assert_eq!(cargo["erroring"], 1);
    assert_eq!(cargo["stalled"], false);
    assert!(cargo["last_success"].is_string());
    // Errors back off: the broken package is checked less and less often.
    let w = store.watch(log.id).await.unwrap().unwrap();
    assert!(w.next_check_at - now_unix() * 1000 > 0);
}

#[tokio::test]
async fn a_429_backs_the_registry_off_for_its_retry_after() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| use_fixture(c, &fixture)).await;
    watched(&server, "pkg:cargo/serde").await;
    fixture.clear_requests();
    fixture.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after: Some("2".into()),
        },
    );
    within_30s("a request after the 429", || async {
        let r = fixture.requests();
        r.iter().any(|q| q.status == 429) && r.last().is_some_and(|q| q.status != 429)
    })
    .await;
    let r = fixture.requests();
    let at_429 = r.iter().position(|q| q.status == 429).unwrap();
    let gap = r[at_429 + 1].at - r[at_429].at;
    assert!(
        gap >= Duration::from_millis(1900),
        "next request after {gap:?}"
    );
    drop(server);
}

#[tokio::test]
async fn watching_stops_with_the_last_follower_and_restarts_with_a_new_one() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| use_fixture(c, &fixture)).await;
    let mut events = server.state.bus.subscribe();
    let package = watched(&server, "pkg:npm/request").await;
    assert!(
        server
            .state
            .store
            .remove_follower(package.id, "http://127.0.0.1:9/users/x")
            .await
            .unwrap()
    );
    server.state.watch_wake.notify_one();
    let store = server.state.store.clone();
    within_30s("untracked", || async {
        store
            .watch_counts(pkgfed_registries::Ecosystem::Npm, i64::MAX)
            .await
            .unwrap()
            .tracked
            == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = fixture.count_for("/npm/request");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(
        fixture.count_for("/npm/request"),
        n,
        "an unfollowed package is still polled"
    );
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(
            serde_json::to_value(&e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(seen.contains(&"package_tracked".to_owned()), "{seen:?}");
    assert!(seen.contains(&"package_untracked".to_owned()), "{seen:?}");

    // A new follower: watched again, with a fresh baseline (nothing old is posted).
    fixture.edit(|r| r.npm_publish("request", "9.9.9", now_unix()));
    add_follower_row(&server, package.id, "y").await;
    within_30s("checked again", || async {
        fixture.count_for("/npm/request") > n
    })
    .await;
    baseline(&server, &package).await;
    let releases = server.state.store.releases(package.id).await.unwrap();
    let r = releases.iter().find(|r| r.version == "9.9.9").unwrap();
    assert_eq!(
        r.note_id, None,
        "published while unwatched: part of the new baseline"
    );
}

#[tokio::test]
async fn a_registry_that_never_answers_is_reported_stalled() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.watch.stall_intervals = 2;
    })
    .await;
    let mut events = server.state.bus.subscribe();
    fixture.fail_next(
        10_000,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );
    let package = server.add_package("pkg:npm/left-pad").await;
    add_follower_row(&server, package.id, "x").await;

    let mut stalled = false;
    for _ in 0..200 {
        let npm = registry_health(&server, "npm").await;
        if npm["stalled"] == true {
            assert_eq!(npm["tracked"], 1);
            assert!(npm["requests"]["errors"].as_u64().unwrap() >= 1);
            stalled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stalled, "never reported stalled");
    let metrics = admin_get(&server, "metrics").await;
    assert!(
        metrics.contains("pkgfed_watch_stalled{registry=\"npm\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("pkgfed_watch_tracked_packages{registry=\"npm\"} 1"));
    assert!(metrics.contains("pkgfed_watch_stalled{registry=\"cargo\"} 0"));
    within_30s("the registry_stalled event", || {
        let found = std::iter::from_fn(|| events.try_recv().ok())
            .any(|e| serde_json::to_value(&e).unwrap()["event"] == "registry_stalled");
        async move { found }
    })
    .await;
}

#[tokio::test]
async fn a_registry_whose_rate_limit_cannot_keep_up_is_reported_behind() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    // Three crates checked every second, but one request every two seconds.
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.cargo.requests_per_second = 0.5;
        c.cargo.api_url = String::new();
    })
    .await;
    for (i, purl) in ["pkg:cargo/serde", "pkg:cargo/anyhow", "pkg:cargo/log"]
        .iter()
        .enumerate()
    {
        let package = server.add_package(purl).await;
        add_follower_row(&server, package.id, &i.to_string()).await;
    }
    server.state.watch_wake.notify_one();
    within_30s("the registry reported behind", || async {
        let cargo = registry_health(&server, "cargo").await;
        cargo["behind"] == true && cargo["overdue"].as_u64().unwrap() >= 1
    })
    .await;
    // Requests never exceeded the configured rate.
    let times: Vec<_> = fixture.requests().iter().map(|r| r.at).collect();
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(1900));
    }
}
