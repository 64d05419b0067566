//! The SSRF matrix through pkgfed's own paths, with `federation.allow_private_addresses`
//! off (the default): a signature whose keyId (and actor) points at loopback is
//! refused without pkgfed fetching it, and a follower whose inbox points at
//! loopback gets no delivery attempt that reaches it — whatever the spelling.
//!
//! Only loopback targets here: pkgfed itself, the peer and the inboxes all live on
//! 127.0.0.1, so nothing can leave the machine. The private, link-local and
//! unique-local ranges and redirect chains are covered against the fetcher in
//! `crates/protocol/tests/ssrf/`, inside a network namespace.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use axum::http::{HeaderMap, HeaderValue, Method};
use common::fleet::Fleet;
use common::manual::row;
use common::{Peer, TestServer};
use pkgfed::store::NewFollower;
use pkgfed_protocol::signatures;

/// Spellings of the loopback address `127.0.0.1:port` a remote could send.
fn loopback_spellings(port: u16) -> Vec<String> {
    [
        "127.0.0.1",
        "localhost",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}"))
    .collect()
}

fn port_of(base: &str) -> u16 {
    base.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[tokio::test]
async fn key_ids_and_actors_at_loopback_are_refused_without_being_fetched() {
    let server = TestServer::start_with(|c| c.federation.allow_private_addresses = false).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let inbox = server.url(&format!("/packages/{}/inbox", package.handle));
    let peer = Peer::start().await;

    for base in loopback_spellings(port_of(&peer.base)) {
        // The activity's actor and the key's owner are the same loopback URL, as a
        // hostile server would send them.
        let actor = format!("{base}/users/alice");
        let mut follow = peer.follow(
            "alice",
            &server.url(&format!("/packages/{}", package.handle)),
        );
        follow["actor"] = actor.clone().into();
        let body = serde_json::to_vec(&follow).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/activity+json"),
        );
        signatures::sign_cavage(
            &Method::POST,
            &url::Url::parse(&inbox).unwrap(),
            &mut headers,
            Some(&body),
            &format!("{actor}#main-key"),
            &peer.key("alice"),
        )
        .unwrap();

        let before = server.counts().await;
        let (status, text) = peer.post_raw(&inbox, headers, body).await;
        assert_eq!(status, 401, "keyId at {base}: {text}");
        assert!(
            text.contains("non-public address"),
            "keyId at {base}: the answer says why: {text}"
        );
        assert_eq!(
            server.counts().await,
            before,
            "keyId at {base}: state changed"
        );
    }
    assert_eq!(peer.fetches(), [], "pkgfed fetched from loopback");
}

#[tokio::test]
async fn deliveries_to_inboxes_at_loopback_are_refused_without_connecting() {
    let server =
        TestServer::start_manual_with(|c| c.federation.allow_private_addresses = false).await;
    let fleet = Fleet::start(1).await;
    let host = fleet.host(0);
    let package = server.add_package("pkg:cargo/serde").await;
    let spellings = loopback_spellings(port_of(&host.base));
    let followers: Vec<NewFollower> = spellings
        .iter()
        .enumerate()
        .map(|(i, base)| NewFollower {
            actor_id: format!("{base}/users/u{i}"),
            inbox: format!("{base}/users/u{i}/inbox"),
            shared_inbox: None,
            follow_id: format!("{base}/follows/{i}"),
        })
        .collect();
    server.add_followers(&package, &followers).await;

    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, followers.len());

    let view = server.status(&id).await;
    for follower in &followers {
        let delivery = row(&view, &follower.inbox);
        assert_eq!(
            (delivery.state.as_str(), delivery.last_status),
            ("failed", None),
            "delivery to {}: {delivery:?}",
            follower.inbox
        );
        let error = delivery.last_error.as_deref().unwrap_or_default();
        assert!(
            error.contains("non-public address"),
            "delivery to {}: the error says why: {error}",
            follower.inbox
        );
    }
    assert_eq!(
        fleet.received().len(),
        0,
        "a delivery reached the loopback inbox"
    );
}
