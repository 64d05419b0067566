//! Cluster mode's RabbitMQ, for real (`PKGFED_TEST_AMQP_URL`; `.ci/run` starts one on
//! loopback): a follow's events reach a queue bound to `pkgfed.events`, routed by
//! name and persistent, while in-process subscribers still get them; a follow on one
//! process wakes the watcher of another through the wake queue, and so does a wake
//! published by any AMQP client; with the broker stopped pkgfed keeps delivering
//! from the database, says so in health, and reconnects when it is back; a refused
//! login shows in health and the logs without the password.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod broker {
    pub mod support;
}

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use broker::support::{
    Client, Outage, broker, count, next_event, readyz, server_on, status, wait_connected,
    wait_status,
};
use common::peer::KeyStyle;
use common::process::{Running, free_listen, pkgfed_command, raw_get, wait_healthy};
use common::{Peer, TestServer};
use pkgfed::events::Event;
use pkgfed::store::NewFollower;
use tokio::sync::broadcast;

/// Waits for an in-process event `pred` accepts; panics naming `what` after 10 s.
async fn local_event(
    rx: &mut broadcast::Receiver<Event>,
    what: &str,
    pred: impl Fn(&Event) -> bool,
) {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(e) if pred(&e) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the bus closed before {what}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} in process"));
}

async fn metrics(server: &TestServer) -> String {
    let res = server
        .client
        .get(server.url("/api/v1/admin/metrics"))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    res.text().await.unwrap()
}

/// Follows `server`'s `package` as `user` of `peer` and waits for the Accept.
async fn follow(server: &TestServer, peer: &Peer, user: &str, handle: &str) -> String {
    let actor = server.url(&format!("/packages/{handle}"));
    let f = peer.follow(user, &actor);
    let (code, body) = peer.post(user, &format!("{actor}/inbox"), &f).await;
    assert_eq!(code, 202, "{body}");
    peer.wait_for("the Accept", |r| {
        r.body["type"] == "Accept" && r.body["object"]["id"] == f["id"]
    })
    .await;
    actor
}

#[tokio::test]
async fn a_follows_events_reach_the_exchange_routed_by_name_and_persistent() {
    let Some((url, _one)) = broker().await else {
        return;
    };
    let server = server_on(&url, |_| {}).await;
    let s = wait_connected(&server, true).await;
    assert!(s["address"].as_str().unwrap().starts_with("amqp://"), "{s}");
    assert!(
        !s.to_string().contains("guest"),
        "credentials in the status: {s}"
    );
    assert_eq!(
        readyz(&server).await,
        (200, "ready\nbroker: connected\n".into())
    );
    let client = Client::connect(&url).await;
    let mut events = client.watch_events().await;
    let mut local = server.state.bus.subscribe();
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;

    let actor = follow(&server, &peer, "alice", &package.handle).await;

    let accepted = next_event(&mut events, "follow_accepted", |p| {
        p.routing_key == "follow_accepted" && p.body["package"] == actor
    })
    .await;
    assert_eq!(accepted.delivery_mode, Some(2), "persistent");
    assert_eq!(accepted.content_type.as_deref(), Some("application/json"));
    assert_eq!(accepted.kind.as_deref(), Some("follow_accepted"));
    assert_eq!(accepted.body["event"], "follow_accepted");
    assert_eq!(accepted.body["follower"], peer.actor("alice"));
    // The Accept was queued, then delivered: each event under its own name.
    let requested = next_event(&mut events, "delivery_requested", |p| {
        p.routing_key == "delivery_requested" && p.body["kind"] == "Accept"
    })
    .await;
    assert_eq!(requested.body["deliveries"], 1);
    let reported = next_event(&mut events, "delivery_reported", |p| {
        p.routing_key == "delivery_reported"
            && p.body["activity_id"] == requested.body["activity_id"]
    })
    .await;
    assert_eq!(reported.body["result"], "success");
    assert_eq!(reported.delivery_mode, Some(2));

    // In-process subscribers (the SSE stream) still get every event.
    local_event(
        &mut local,
        "FollowAccepted",
        |e| matches!(e, Event::FollowAccepted { package, .. } if *package == actor),
    )
    .await;
    // Confirmed by the broker (the confirms may trail the deliveries seen above).
    let s = wait_status(&server, "3 events published", |s| {
        count(&s["events_published"]) >= 3
    })
    .await;
    assert_eq!(s["events_dropped"]["buffer_full"], 0, "{s}");
    assert_eq!(s["events_dropped"]["nacked"], 0, "{s}");
    let text = metrics(&server).await;
    assert!(text.contains("pkgfed_broker_connected 1"), "{text}");
    assert!(text.contains("pkgfed_events_published_total "), "{text}");
}

#[tokio::test]
async fn a_follow_on_one_process_wakes_the_watcher_of_another() {
    let Some((url, _one)) = broker().await else {
        return;
    };
    Client::connect(&url).await.purge_wakes().await;
    // Two processes on one database: `web` does not watch registries, `worker` does.
    let web = server_on(&url, |c| c.watch.enabled = false).await;
    let db = web.state.settings.database_url.clone();
    let worker = server_on(&url, move |c| c.storage.database_url = db).await;
    wait_connected(&web, true).await;
    wait_connected(&worker, true).await;
    let package = web.add_package("pkg:cargo/serde").await;
    let mut tracked = worker.state.bus.subscribe();
    let peer = Peer::start().await;

    follow(&web, &peer, "alice", &package.handle).await;

    // The worker's watcher reconciles at once (its own poll is 30 s away).
    let suffix = format!("/packages/{}", package.handle);
    local_event(
        &mut tracked,
        "PackageTracked on the worker",
        |e| matches!(e, Event::PackageTracked { package } if package.ends_with(&suffix)),
    )
    .await;
    let w = wait_status(&web, "a registry wake sent", |s| {
        count(&s["wakes_sent"]["registry"]) >= 1
    })
    .await;
    assert_eq!(
        w["wakes_received"]["registry"], 0,
        "web does not consume registry wakes: {w}"
    );
    let k = status(&worker).await;
    let before = count(&k["wakes_received"]["registry"]);
    assert!(before >= 1, "{k}");

    // An operator's re-check on the web process reaches the worker's watcher too.
    let res = web
        .client
        .post(web.url("/api/v1/admin/registries/recheck"))
        .bearer_auth(&web.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    wait_status(&worker, "the re-check's wake received", |s| {
        count(&s["wakes_received"]["registry"]) > before
    })
    .await;
}

#[tokio::test]
async fn a_wake_published_by_any_amqp_client_wakes_the_watcher() {
    let Some((url, _one)) = broker().await else {
        return;
    };
    let client = Client::connect(&url).await;
    client.purge_wakes().await;
    let server = server_on(&url, |_| {}).await;
    wait_connected(&server, true).await;
    let package = server.add_package("pkg:npm/left-pad").await;
    // A follower written straight to the database: no event, no local wake.
    let follower = NewFollower {
        actor_id: "http://127.0.0.1:9/users/carol".into(),
        inbox: "http://127.0.0.1:9/users/carol/inbox".into(),
        shared_inbox: None,
        follow_id: "http://127.0.0.1:9/follows/1".into(),
    };
    assert!(
        server
            .state
            .store
            .add_follower(package.id, &follower)
            .await
            .unwrap()
    );
    let mut tracked = server.state.bus.subscribe();

    client.publish_wake("registry").await;

    let suffix = format!("/packages/{}", package.handle);
    local_event(
        &mut tracked,
        "PackageTracked",
        |e| matches!(e, Event::PackageTracked { package } if package.ends_with(&suffix)),
    )
    .await;
    let s = status(&server).await;
    assert!(count(&s["wakes_received"]["registry"]) >= 1, "{s}");
}

#[tokio::test]
async fn without_the_broker_pkgfed_delivers_from_the_database_and_reconnects() {
    let Some((url, _one)) = broker().await else {
        return;
    };
    let server = server_on(&url, |_| {}).await;
    wait_connected(&server, true).await;
    let package = server.add_package("pkg:cargo/tokio").await;
    let peer = Peer::start().await;
    peer.add_user("bob", KeyStyle::Fragment);
    {
        let _outage = Outage::begin();
        let s = wait_connected(&server, false).await;
        assert!(s["last_error"].is_string(), "{s}");
        assert!(
            !s.to_string().contains("guest"),
            "credentials in the status: {s}"
        );
        // Ready all the same: the database is what readiness means.
        assert_eq!(
            readyz(&server).await,
            (200, "ready\nbroker: disconnected\n".into())
        );
        assert!(metrics(&server).await.contains("pkgfed_broker_connected 0"));

        // A follow is accepted and its Accept delivered, from the database alone.
        follow(&server, &peer, "alice", &package.handle).await;
        let s = status(&server).await;
        assert!(count(&s["events_dropped"]["disconnected"]) >= 1, "{s}");
    }
    let s = wait_connected(&server, true).await;
    assert!(count(&s["connections"]) >= 2, "{s}");
    assert_eq!(
        readyz(&server).await,
        (200, "ready\nbroker: connected\n".into())
    );
    assert!(metrics(&server).await.contains("pkgfed_broker_connected 1"));

    // Events flow again.
    let client = Client::connect(&url).await;
    let mut events = client.watch_events().await;
    follow(&server, &peer, "bob", &package.handle).await;
    next_event(&mut events, "bob's follow_accepted", |p| {
        p.routing_key == "follow_accepted" && p.body["follower"] == peer.actor("bob")
    })
    .await;
}

#[tokio::test]
async fn a_refused_login_is_reported_and_logged_without_the_password() {
    let Some((url, _one)) = broker().await else {
        return;
    };
    const PASSWORD: &str = "pw-that-must-never-be-logged-7431";
    const TOKEN: &str = "broker-test-admin-token-0123456789abcdef";
    let uri: lapin::uri::AMQPUri = url.parse().unwrap();
    let wrong = format!(
        "amqp://pkgfed-nobody:{PASSWORD}@{}:{}/%2f",
        uri.authority.host, uri.authority.port
    );
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let mut child = Running(
        pkgfed_command(dir.path(), &listen, &["serve", "--dev"])
            .env("PKGFED_BROKER_URL", &wrong)
            .env("PKGFED_BROKER_RECONNECT_MAX_SECONDS", "1")
            .env("PKGFED_ADMIN_TOKEN", TOKEN)
            .env("PKGFED_LOG", "trace")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_healthy(&listen);
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let mut status = String::new();
    for _ in 0..200 {
        status = raw_get(&listen, "/api/v1/admin/broker", &auth).unwrap();
        if status.contains("\"last_error\":\"") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(status.contains("\"connected\":false"), "{status}");
    assert!(status.contains("\"last_error\":\""), "{status}");
    assert!(!status.contains(PASSWORD), "{status}");
    let ready = raw_get(&listen, "/readyz", "").unwrap();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.ends_with("ready\nbroker: disconnected\n"), "{ready}");

    child.signal("-TERM");
    child.wait_exit("pkgfed");
    let mut logs = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("broker unavailable"), "{logs}");
    assert!(
        logs.contains("amqp://127.0.0.1:") || logs.contains("amqp://"),
        "{logs}"
    );
    assert!(
        !logs.contains(PASSWORD),
        "the password is in the logs:\n{logs}"
    );
}
