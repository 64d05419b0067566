//! Key rotation, both ways, against the real server and the follower peer:
//! `pkgfed packages rotate-key` gives a package actor a new key and its followers an
//! `Update{actor}` carrying it, signed with it (the peer verifies against the actor
//! document it fetches, so a signature by the old key would fail); bad requests change
//! no key. Inbound: a remote actor that rotated its key is re-fetched once on the
//! first failed verification, and not again within the minute.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::peer::KeyStyle;
use common::process::{pkgfed_command, text};
use common::{Peer, TestServer, eventually};
use pkgfed::store::Package;
use serde_json::Value;

async fn actor_pem(server: &TestServer, package: &Package) -> String {
    let doc = server
        .get_json(&format!("/packages/{}", package.handle))
        .await;
    doc["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `pkgfed packages rotate-key <args> --url <server> --token <token>`.
async fn rotate(server: &TestServer, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("");
    let mut all = vec!["packages", "rotate-key"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--url", url.trim_end_matches('/'), "--token"]);
    all.push(&server.state.admin_token);
    let mut cmd = pkgfed_command(dir.path(), "127.0.0.1:9", &all);
    // The server runs on this test's runtime: wait for the child off it.
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rotated_package_key_reaches_followers_in_an_update_signed_with_it() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    peer.add_user("bob", KeyStyle::Fragment);
    let actor = server.url(&format!("/packages/{}", package.handle));
    let (status, body) = peer
        .post(
            "alice",
            &format!("{actor}/inbox"),
            &peer.follow("alice", &actor),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    peer.wait_for("the Accept", |r| r.body["type"] == "Accept")
        .await;
    let old = actor_pem(&server, &package).await;

    // Refused, with the reason, and the key is unchanged.
    let out = rotate(&server, &["pkg:cargo/not-here"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no package pkg:cargo/not-here"),
        "{}",
        text(&out.stderr)
    );
    let res = server
        .client
        .post(server.url("/api/v1/admin/packages/rotate-key"))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("`package` is required"));
    let res = server
        .client
        .post(server.url("/api/v1/admin/packages/rotate-key?package=pkg:cargo/serde"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the admin token is required");
    assert_eq!(actor_pem(&server, &package).await, old);

    // Rotated: one Update to the one follower.
    let out = rotate(&server, &[&package.handle, "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["package"], "pkg:cargo/serde");
    assert_eq!(answer["deliveries"], 1);
    assert_eq!(answer["key_id"], format!("{actor}#main-key"));
    let new = actor_pem(&server, &package).await;
    assert_ne!(new, old, "the actor document shows the new key");

    let update = peer
        .wait_for("the Update of the actor", |r| {
            r.body["type"] == "Update" && r.body["object"]["id"] == actor.as_str()
        })
        .await;
    assert!(
        update.verified.is_ok(),
        "signed with the new key: {:?}",
        update.verified
    );
    assert_eq!(update.body["object"]["publicKey"]["publicKeyPem"], new);
    assert_eq!(update.body["id"], answer["update_id"]);

    // What follows is signed with the new key too (the worker's cached key was
    // dropped), e.g. the Accept of a new follower.
    let (status, _) = peer
        .post(
            "bob",
            &format!("{actor}/inbox"),
            &peer.follow("bob", &actor),
        )
        .await;
    assert_eq!(status, 202);
    let accept = peer
        .wait_for("bob's Accept", |r| {
            r.body["type"] == "Accept" && r.body["object"]["actor"] == peer.actor("bob")
        })
        .await;
    assert!(accept.verified.is_ok(), "{:?}", accept.verified);
}

#[tokio::test]
async fn a_remote_key_change_is_refetched_once_a_minute_at_most() {
    let server = TestServer::start().await;
    let serde = server.add_package("pkg:cargo/serde").await;
    let log = server.add_package("pkg:cargo/log").await;
    let peer = Peer::start().await;
    peer.add_user("bob", KeyStyle::Fragment);
    let inbox = server.url("/inbox");
    let serde_actor = server.url(&format!("/packages/{}", serde.handle));
    let log_actor = server.url(&format!("/packages/{}", log.handle));
    let (status, body) = peer
        .post("bob", &inbox, &peer.follow("bob", &serde_actor))
        .await;
    assert_eq!(status, 202, "{body}");
    let fetched = peer.fetches().len();

    // bob rotates: the cached key fails, pkgfed fetches bob once and accepts.
    peer.rotate_key("bob");
    let (status, body) = peer
        .post("bob", &inbox, &peer.follow("bob", &log_actor))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(peer.fetches().len(), fetched + 1, "one re-fetch");
    let log_store = server.state.store.clone();
    eventually("bob follows log", || async {
        log_store.count_followers(log.id).await.unwrap() == 1
    })
    .await;

    // Again within the minute (a forger naming bob's key would look the same): no
    // fetch, 401 with the reason, nothing changes.
    peer.rotate_key("bob");
    let before = server.counts().await;
    let undo = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo/1", peer.actor("bob")),
        "type": "Undo",
        "actor": peer.actor("bob"),
        "object": peer.follow("bob", &log_actor),
    });
    let (status, body) = peer.post("bob", &inbox, &undo).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("re-fetched less than 60 s ago"), "{body}");
    assert_eq!(peer.fetches().len(), fetched + 1, "no second fetch");
    assert_eq!(server.counts().await, before);
    assert_eq!(server.state.store.count_followers(log.id).await.unwrap(), 1);
}
