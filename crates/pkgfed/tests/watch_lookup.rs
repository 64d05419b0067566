//! Actors created on first lookup (WebFinger and actor GET ask the registry), the
//! shared rate limit under a burst of lookups, allow/deny patterns, the change-feed
//! mode, and the actor Update on changed metadata.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::watch::{follow_and_wait_for_baseline, now_unix, package, use_fixture};
use common::{Peer, TestServer};
use pkgfed_registries::fixtures::{Fault, FixtureRegistry};
use serde_json::Value;

async fn webfinger(server: &TestServer, resource: &str) -> (u16, Value) {
    let res = server
        .client
        .get(server.url("/.well-known/webfinger"))
        .query(&[("resource", resource)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn lookups_create_existing_packages_and_remember_missing_ones() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.watch.deny = vec!["pkg:npm/request".into()];
    })
    .await;

    // An existing crate: created with the registry's metadata.
    let (status, jrd) = webfinger(&server, &format!("acct:cargo.serde@{}", server.host)).await;
    assert_eq!(status, 200, "{jrd}");
    assert_eq!(jrd["links"][0]["href"], server.url("/packages/cargo.serde"));
    let actor = server.get_json("/packages/cargo.serde").await;
    assert_eq!(
        actor["summary"]
            .as_str()
            .map(|s| s.contains("serialization")),
        Some(true),
        "{actor}"
    );
    // A scoped npm package by purl, and a PyPI project by a non-normalised name.
    let (status, _) = webfinger(&server, "pkg:npm/%40sindresorhus/is").await;
    assert_eq!(status, 200);
    let (status, _) = webfinger(&server, "pkg:pypi/URLLib3").await;
    assert_eq!(status, 200);
    assert!(
        server
            .state
            .store
            .package_by_handle("pypi.urllib3")
            .await
            .unwrap()
            .is_some()
    );
    // An actor GET creates too.
    let (status, _, _) = server
        .get("/packages/npm.left-pad", "application/activity+json")
        .await;
    assert_eq!(status, 200);

    // A package the registry does not have: 404, and asked only once.
    fixture.clear_requests();
    let missing = format!("acct:cargo.no-such-crate-here@{}", server.host);
    assert_eq!(webfinger(&server, &missing).await.0, 404);
    let asked = fixture.request_count();
    assert!(asked >= 1);
    assert_eq!(webfinger(&server, &missing).await.0, 404);
    assert_eq!(
        fixture.request_count(),
        asked,
        "the negative answer is cached"
    );

    // Denied by pattern: 404 without asking the registry.
    fixture.clear_requests();
    assert_eq!(webfinger(&server, "pkg:npm/request").await.0, 404);
    assert_eq!(fixture.request_count(), 0);
    assert!(
        server
            .state
            .store
            .package_by_key(pkgfed_registries::Ecosystem::Npm, "request")
            .await
            .unwrap()
            .is_none()
    );

    // The registry failing: 503 with Retry-After, nothing created, nothing cached.
    fixture.fail_next(
        1,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    let res = server
        .client
        .get(server.url("/.well-known/webfinger"))
        .query(&[("resource", "pkg:cargo/anyhow")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_burst_of_lookups_stays_within_the_registry_rate_limit() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.cargo.requests_per_second = 5.0;
        c.cargo.api_url = String::new();
    })
    .await;
    fixture.clear_requests();
    let lookups = (0..8).map(|i| {
        let resource = format!("pkg:cargo/missingcrate{i}");
        let server = &server;
        async move { webfinger(server, &resource).await.0 }
    });
    let statuses = futures_util::future::join_all(lookups).await;
    assert!(statuses.iter().all(|s| *s == 404), "{statuses:?}");
    let mut times: Vec<_> = fixture.requests().iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 8);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(180),
            "requests {gap:?} apart at 5/s"
        );
    }
}

#[tokio::test]
async fn change_feed_mode_checks_only_what_the_feed_names() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.pypi.updates_feed_url = fixture.pypi_updates_url().to_string();
        c.watch.max_interval_seconds = 3600;
        c.pypi.updates_feed_interval_seconds = 1;
    })
    .await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:pypi/urllib3").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;

    // Quiet registry: the feed is read, the package is not polled.
    let path = "/pypi/pypi/urllib3/json";
    let polled = fixture.count_for(path);
    let feed_reads = fixture.count_for("/pypi/rss/updates.xml");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(
        fixture.count_for(path),
        polled,
        "polled although the feed was quiet"
    );
    assert!(fixture.count_for("/pypi/rss/updates.xml") > feed_reads);

    // A release the feed names is checked and posted at once.
    fixture.edit(|r| r.pypi_publish("urllib3", "3.0.0", now_unix()));
    let create = peer
        .wait_for("the Create", |r| r.body["type"] == "Create")
        .await;
    assert_eq!(
        create.body["object"]["attachment"][1]["value"],
        "pkg:pypi/urllib3@3.0.0"
    );
}

#[tokio::test]
async fn changed_metadata_updates_the_actor() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| use_fixture(c, &fixture)).await;
    let peer = Peer::start().await;
    assert_eq!(webfinger(&server, "pkg:cargo/serde").await.0, 200);
    let actor = server.url("/packages/cargo.serde");
    let package = package(&server, "cargo.serde").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;

    let api = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../registries/tests/fixtures/cargo-api/serde.json"),
    )
    .unwrap();
    let mut doc: Value = serde_json::from_str(&api).unwrap();
    doc["crate"]["description"] = "A new description".into();
    fixture.edit(|r| {
        r.cargo_api_set("serde", doc);
        r.cargo_publish("serde", "1.0.500", Some(now_unix()));
    });
    let update = peer
        .wait_for("the actor Update", |r| {
            r.body["type"] == "Update" && r.body["object"]["id"] == actor
        })
        .await;
    assert!(update.verified.is_ok());
    assert!(
        update.body["object"]["summary"]
            .as_str()
            .unwrap()
            .contains("A new description")
    );
    let create = peer
        .wait_for("the Create", |r| r.body["type"] == "Create")
        .await;
    assert!(
        create.body["object"]["content"]
            .as_str()
            .unwrap()
            .contains("A new description")
    );
}

#[tokio::test]
async fn projects_outside_registries_are_followed_through_their_releases_feed() {
    use pkgfed_registries::fixtures::FeedFormat;
    let fixture = FixtureRegistry::start().await.unwrap();
    fixture.edit(|r| {
        r.feed_create(
            "mytool",
            FeedFormat::Atom,
            "Releases of mytool",
            "https://forge.test/me/mytool/releases",
        );
        r.feed_publish(
            "mytool",
            "v1.0.0",
            "https://forge.test/me/mytool/releases/tag/v1.0.0",
            now_unix() - 86_400,
        );
    });
    let feed = fixture.feed_url("mytool");
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.packages.ecosystems = vec![
            pkgfed_registries::Ecosystem::Cargo,
            pkgfed_registries::Ecosystem::Generic,
        ];
        c.generic.feeds = vec![format!("mytool={feed}")];
    })
    .await;
    assert!(server.state.settings.watch.unconfigured.is_empty());

    // Configured projects are created on first lookup; others are not.
    let (status, _) = webfinger(&server, &format!("acct:generic.mytool@{}", server.host)).await;
    assert_eq!(status, 200);
    assert_eq!(webfinger(&server, "pkg:generic/othertool").await.0, 404);

    let peer = Peer::start().await;
    let package = package(&server, "generic.mytool").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;

    fixture.edit(|r| {
        r.feed_publish(
            "mytool",
            "Release 1.1.0",
            "https://forge.test/me/mytool/releases/tag/v1.1.0",
            now_unix(),
        )
    });
    let create = peer
        .wait_for("the Create", |r| r.body["type"] == "Create")
        .await;
    assert!(create.verified.is_ok());
    let note = &create.body["object"];
    assert_eq!(note["attachment"][1]["value"], "pkg:generic/mytool@1.1.0");
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("https://forge.test/me/mytool/releases/tag/v1.1.0"),
        "{note}"
    );
}
