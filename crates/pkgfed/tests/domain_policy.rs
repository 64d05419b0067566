//! The domain policy over HTTP on the real server: blocked senders get 403 with a
//! reason and change nothing (no follower, no stored activity, no fetch of their
//! actor, no Accept); blocks added through the admin API apply to the next request,
//! survive a restart and can be removed; followers on a blocked domain are skipped
//! by the delivery worker (a `skipped` report says why); allow-list mode refuses
//! everyone else. Two remote "domains" are two loopback addresses (127.0.0.1 and
//! 127.0.0.2), each with its own peer.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Peer, TestServer, eventually};
use serde_json::{Value, json};

const BLOCKED_IP: &str = "127.0.0.2";

async fn admin(server: &TestServer, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = server
        .client
        .request(method, server.url(&format!("/api/v1/admin{path}")))
        .bearer_auth(&server.state.admin_token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `peer` (user alice) follows `package`; returns the status and body of the POST.
async fn follow(server: &TestServer, peer: &Peer, handle: &str) -> (u16, String) {
    let actor = server.url(&format!("/packages/{handle}"));
    peer.post(
        "alice",
        &server.url("/inbox"),
        &peer.follow("alice", &actor),
    )
    .await
}

/// Asserts a refused Follow left no trace: same counts, no actor fetched, nothing
/// queued for the peer.
async fn assert_refused_without_state(
    server: &TestServer,
    peer: &Peer,
    handle: &str,
    reason: &str,
) {
    let before = server.counts().await;
    let (status, body) = follow(server, peer, handle).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains(reason), "{body}");
    assert_eq!(server.counts().await, before);
    assert!(peer.fetches().is_empty(), "fetched {:?}", peer.fetches());
    let metrics = server.state.store.metrics_counts().await.unwrap();
    assert_eq!(
        metrics.pending_deliveries + metrics.in_flight_deliveries,
        0,
        "an Accept was queued"
    );
    assert!(peer.received().is_empty(), "{:?}", peer.received());
}

#[tokio::test]
async fn a_configured_block_refuses_the_follow_with_403_and_no_state() {
    let server =
        TestServer::start_with(|c| c.federation.blocked_domains = vec![BLOCKED_IP.into()]).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let blocked = Peer::start_on(BLOCKED_IP).await;
    assert_refused_without_state(
        &server,
        &blocked,
        &package.handle,
        "is blocked on this server",
    )
    .await;
    // Another domain is unaffected.
    let other = Peer::start().await;
    assert_eq!(follow(&server, &other, &package.handle).await.0, 202);
    other
        .wait_for("the Accept", |r| r.body["type"] == "Accept")
        .await;
}

#[tokio::test]
async fn a_runtime_block_applies_at_once_survives_a_restart_and_can_be_removed() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start_on(BLOCKED_IP).await;

    let (status, v) = admin(
        &server,
        "POST",
        "/domain-blocks",
        Some(json!({ "domain": BLOCKED_IP, "reason": "spam wave" })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        v,
        json!({ "domain": BLOCKED_IP, "blocked": true, "changed": true })
    );
    let (status, v) = admin(
        &server,
        "POST",
        "/domain-blocks",
        Some(json!({ "domain": BLOCKED_IP })),
    )
    .await;
    assert_eq!((status, &v["changed"]), (200, &json!(false)), "{v}");
    assert_refused_without_state(&server, &peer, &package.handle, "is blocked").await;

    // Bad input: 400 naming the problem, nothing stored.
    for (body, want) in [
        (json!({ "domain": "https://bad.example/" }), "only the host"),
        (json!({ "domain": "" }), "empty"),
        (json!({ "host": "bad.example" }), "bad body"),
    ] {
        let (status, v) = admin(&server, "POST", "/domain-blocks", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(v["error"].as_str().unwrap().contains(want), "{body}: {v}");
    }
    let (_, v) = admin(&server, "GET", "/domain-blocks", None).await;
    assert_eq!(v["allowlist_mode"], false);
    let blocks = v["domain_blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{v}");
    assert_eq!(blocks[0]["source"], "runtime");
    assert_eq!(blocks[0]["reason"], "spam wave");

    // A restart reads the block back from the database.
    let server = server.restart(|_| {}).await;
    assert_refused_without_state(&server, &peer, &package.handle, "is blocked").await;

    let (status, v) = admin(
        &server,
        "DELETE",
        &format!("/domain-blocks/{BLOCKED_IP}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({ "domain": BLOCKED_IP, "blocked": false, "changed": true })
    );
    let (status, v) = admin(
        &server,
        "DELETE",
        &format!("/domain-blocks/{BLOCKED_IP}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(follow(&server, &peer, &package.handle).await.0, 202);
    assert_eq!(server.counts().await.follows, 1);
    peer.wait_for("the Accept", |r| r.body["type"] == "Accept")
        .await;
}

#[tokio::test]
async fn a_configured_block_cannot_be_removed_at_run_time() {
    let server =
        TestServer::start_with(|c| c.federation.blocked_domains = vec!["Bad.Example".into()]).await;
    let (status, v) = admin(&server, "DELETE", "/domain-blocks/bad.example", None).await;
    assert_eq!(status, 403, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("federation.blocked_domains"),
        "{v}"
    );
    let (_, v) = admin(&server, "GET", "/domain-blocks", None).await;
    assert_eq!(v["domain_blocks"][0]["domain"], "bad.example");
    assert_eq!(v["domain_blocks"][0]["source"], "config");
}

#[tokio::test]
async fn followers_on_a_blocked_domain_are_not_delivered_to() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let open = Peer::start().await;
    let blocked = Peer::start_on(BLOCKED_IP).await;
    for peer in [&open, &blocked] {
        assert_eq!(follow(&server, peer, &package.handle).await.0, 202);
        peer.wait_for("the Accept", |r| r.body["type"] == "Accept")
            .await;
    }
    let (status, v) = admin(
        &server,
        "POST",
        "/domain-blocks",
        Some(json!({ "domain": BLOCKED_IP })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    // The follower stays (unblocking restores delivery) but is skipped.
    assert_eq!(server.counts().await.follows, 2);

    let activity_id = format!("{}/activities/release-1", server.base);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Create",
        "actor": server.state.urls.actor(&package.handle),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": { "type": "Note", "content": "serde 1.0.300 released" }
    });
    pkgfed::outbound::outbox::publish(&server.state, &package, &activity, Default::default())
        .await
        .unwrap();
    open.wait_for("the Create", |r| r.body["type"] == "Create")
        .await;
    let store = server.state.store.clone();
    let id = activity_id.clone();
    eventually("a skipped report for the blocked follower", || {
        let (store, id) = (store.clone(), id.clone());
        async move {
            store
                .reports_for(&id)
                .await
                .unwrap()
                .iter()
                .any(|r| r.inbox_url.contains(BLOCKED_IP) && r.result == "skipped")
        }
    })
    .await;
    let reports = store.reports_for(&activity_id).await.unwrap();
    let skipped = reports
        .iter()
        .find(|r| r.inbox_url.contains(BLOCKED_IP))
        .unwrap();
    assert!(
        skipped.reason.contains("not attempted") && skipped.reason.contains("blocked"),
        "{skipped:?}"
    );
    assert_eq!(skipped.attempts, 0);
    // Once recorded as skipped the delivery is finished: nothing will reach it.
    assert!(
        !blocked
            .received()
            .iter()
            .any(|r| r.body["type"] == "Create"),
        "{:?}",
        blocked.received()
    );
    let (status, v) = admin(
        &server,
        "GET",
        &format!("/activities/status?id={activity_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "completed", "{v}");
}

#[tokio::test]
async fn allowlist_mode_refuses_every_other_domain() {
    let server = TestServer::start_with(|c| {
        c.federation.allowlist_mode = true;
        c.federation.allowed_domains = vec!["127.0.0.1".into()];
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let stranger = Peer::start_on(BLOCKED_IP).await;
    assert_refused_without_state(&server, &stranger, &package.handle, "allow-list").await;
    let friend = Peer::start().await;
    assert_eq!(follow(&server, &friend, &package.handle).await.0, 202);
    friend
        .wait_for("the Accept", |r| r.body["type"] == "Accept")
        .await;
    let (_, v) = admin(&server, "GET", "/domain-blocks", None).await;
    assert_eq!(v["allowlist_mode"], true);
}
