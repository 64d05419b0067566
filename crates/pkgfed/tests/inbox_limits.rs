//! Inbox request limits: 413, 415, 400 — none of them change stored state.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use axum::http::{HeaderMap, HeaderValue};
use common::{Peer, TestServer};

#[tokio::test]
async fn oversized_wrong_type_and_malformed_bodies() {
    let server = TestServer::start_with(|c| c.federation.max_body_bytes = 4096).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let inbox = server.url(&format!("/packages/{}/inbox", package.handle));
    let before = server.counts().await;

    // 413: over the limit, even when correctly signed.
    let mut big = peer.follow(
        "alice",
        &server.url(&format!("/packages/{}", package.handle)),
    );
    big["padding"] = serde_json::Value::String("x".repeat(5000));
    let body = serde_json::to_vec(&big).unwrap();
    let h = peer.signed_headers("alice", &inbox, &body);
    assert_eq!(peer.post_raw(&inbox, h, body).await.0, 413);

    // 415: not an ActivityStreams content type.
    let body = b"{}".to_vec();
    let mut h = peer.signed_headers("alice", &inbox, &body);
    h.insert("content-type", HeaderValue::from_static("text/plain"));
    assert_eq!(peer.post_raw(&inbox, h, body).await.0, 415);

    // 400: malformed JSON.
    let body = b"{\"type\": \"Follow\",".to_vec();
    let h = peer.signed_headers("alice", &inbox, &body);
    let (status, text) = peer.post_raw(&inbox, h, body).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("JSON"), "{text}");

    // 400: signed, valid JSON, but no id.
    let body = serde_json::to_vec(
        &serde_json::json!({"type": "Follow", "actor": peer.actor("alice"), "object": "x"}),
    )
    .unwrap();
    let h = peer.signed_headers("alice", &inbox, &body);
    let (status, text) = peer.post_raw(&inbox, h, body).await;
    assert_eq!(status, 400, "{text}");

    // 404: inbox of a package that does not exist.
    let (status, _) = peer
        .post_raw(
            &server.url("/packages/nope/inbox"),
            HeaderMap::new(),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(status, 404);

    assert_eq!(server.counts().await, before);
}
