//! A follower peer follows a package, gets a verifiable Accept, and unfollows —
//! against the real server on a loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::peer::KeyStyle;
use common::{Peer, TestServer, eventually};
use serde_json::json;

#[tokio::test]
async fn follow_accept_and_unfollow() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let inbox = format!("{actor}/inbox");

    let follow = peer.follow("alice", &actor);
    let (status, body) = peer.post("alice", &inbox, &follow).await;
    assert_eq!(status, 202, "{body}");

    // The Accept arrives at alice's inbox, signed by the package's key, embedding the Follow.
    let accept = peer
        .wait_for("Accept", |r| r.body["type"] == "Accept")
        .await;
    assert_eq!(accept.path, "/users/alice/inbox");
    assert_eq!(
        accept.verified.as_deref(),
        Ok(format!("{actor}#main-key").as_str())
    );
    assert_eq!(accept.body["actor"], actor);
    assert_eq!(accept.body["object"]["id"], follow["id"]);
    assert_eq!(accept.body["object"]["actor"], peer.actor("alice"));

    // The followers collection counts alice at once.
    let followers = server
        .get_json(&format!("/packages/{}/followers", package.handle))
        .await;
    assert_eq!(followers["totalItems"], 1);
    let page = server
        .get_json(&format!("/packages/{}/followers?page=true", package.handle))
        .await;
    assert_eq!(page["orderedItems"], json!([peer.actor("alice")]));

    // A repeated Follow (new id, as Mastodon sends on re-follow) is accepted again, no duplicate.
    let again = peer.follow("alice", &actor);
    assert_eq!(peer.post("alice", &inbox, &again).await.0, 202);
    peer.wait_for("second Accept", |r| r.body["object"]["id"] == again["id"])
        .await;
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        1
    );

    // The exact same activity again is a duplicate: 202 and nothing changes.
    let before = server.counts().await;
    assert_eq!(peer.post("alice", &inbox, &again).await.0, 202);
    assert_eq!(server.counts().await, before);

    // Undo{Follow} removes the follower.
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#undo", again["id"].as_str().unwrap()),
        "type": "Undo",
        "actor": peer.actor("alice"),
        "object": again,
    });
    assert_eq!(peer.post("alice", &inbox, &undo).await.0, 202);
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        0
    );
    let followers = server
        .get_json(&format!("/packages/{}/followers", package.handle))
        .await;
    assert_eq!(followers["totalItems"], 0);
}

#[tokio::test]
async fn undo_by_follow_id_and_shared_inbox() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:npm/left-pad").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let follow = peer.follow("alice", &actor);
    // Followed through the shared inbox this time.
    assert_eq!(
        peer.post("alice", &server.url("/inbox"), &follow).await.0,
        202
    );
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        1
    );
    // Misskey-style Undo carrying only the Follow's id.
    let undo = json!({
        "id": format!("{}/undo/1", peer.actor("alice")),
        "type": "Undo",
        "actor": peer.actor("alice"),
        "object": follow["id"],
    });
    assert_eq!(
        peer.post("alice", &server.url("/inbox"), &undo).await.0,
        202
    );
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn actor_delete_removes_it_everywhere_even_when_gone() {
    let server = TestServer::start().await;
    let a = server.add_package("pkg:cargo/serde").await;
    let b = server.add_package("pkg:pypi/requests").await;
    let peer = Peer::start().await;
    for p in [&a, &b] {
        let actor = server.url(&format!("/packages/{}", p.handle));
        assert_eq!(
            peer.post(
                "alice",
                &server.url("/inbox"),
                &peer.follow("alice", &actor)
            )
            .await
            .0,
            202
        );
    }
    assert_eq!(server.counts().await.follows, 2);
    // The account is deleted: its document is gone (410) and the cached key is past its
    // TTL; the stale key still verifies the actor's own Delete.
    peer.set_gone("alice");
    let mut cached = server
        .state
        .store
        .cached_key(&peer.key_id("alice"))
        .await
        .unwrap()
        .unwrap();
    cached.fetched_at = 0;
    server.state.store.put_cached_key(&cached).await.unwrap();
    let delete = json!({
        "id": format!("{}#delete", peer.actor("alice")),
        "type": "Delete",
        "actor": peer.actor("alice"),
        "object": peer.actor("alice"),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    assert_eq!(
        peer.post("alice", &server.url("/inbox"), &delete).await.0,
        202
    );
    assert_eq!(server.counts().await.follows, 0);
}

#[tokio::test]
async fn path_style_key_ids_and_key_rotation() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/log").await;
    let peer = Peer::start().await;
    peer.add_user("bob", KeyStyle::Path);
    let actor = server.url(&format!("/packages/{}", package.handle));
    assert_eq!(
        peer.post("bob", &server.url("/inbox"), &peer.follow("bob", &actor))
            .await
            .0,
        202
    );
    // bob rotates his key: the cached one fails, pkgfed refetches once and accepts.
    peer.rotate_key("bob");
    assert_eq!(
        peer.post("bob", &server.url("/inbox"), &peer.follow("bob", &actor))
            .await
            .0,
        202
    );
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn signer_fetches_are_signed_by_the_instance_actor() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/anyhow").await;
    let peer = Peer::start().await;
    peer.require_signed_fetch(true);
    let actor = server.url(&format!("/packages/{}", package.handle));
    let (status, body) = peer
        .post(
            "alice",
            &server.url("/inbox"),
            &peer.follow("alice", &actor),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let fetches = peer.fetches();
    assert!(!fetches.is_empty());
    assert!(fetches.iter().all(|(_, signed)| *signed), "{fetches:?}");
}

#[tokio::test]
async fn blocked_domain_gets_403_and_nothing_is_stored() {
    let server =
        TestServer::start_with(|c| c.federation.blocked_domains = vec!["127.0.0.1".into()]).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let before = server.counts().await;
    let (status, _) = peer
        .post(
            "alice",
            &server.url("/inbox"),
            &peer.follow("alice", &actor),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(server.counts().await, before);
    assert!(
        peer.fetches().is_empty(),
        "a blocked signer must not even be fetched"
    );
}

#[tokio::test]
async fn unknown_types_are_stored_without_side_effects() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let mut events = server.state.bus.subscribe();
    let like = json!({
        "id": format!("{}/likes/1", peer.actor("alice")),
        "type": "EmojiReact",
        "actor": peer.actor("alice"),
        "object": server.url(&format!("/packages/{}", package.handle)),
    });
    assert_eq!(
        peer.post("alice", &server.url("/inbox"), &like).await.0,
        202
    );
    let counts = server.counts().await;
    assert_eq!(counts.inbound_activities, 1);
    assert_eq!(counts.follows, 0);
    let event = events.recv().await.unwrap();
    assert!(
        matches!(event, pkgfed::events::Event::ActivityReceived { ref kind, .. } if kind == "EmojiReact")
    );
    eventually("no Accept sent", || async { peer.received().is_empty() }).await;
}

/// A burst of requests signed with a key pkgfed does not hold yet (a new follower's
/// server sending many activities at once) fetches the signer's actor once, not once
/// per request: the others wait for that fetch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_a_new_signer_fetches_its_key_once() {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let inbox = format!("{actor}/inbox");
    peer.add_user("bob", KeyStyle::Fragment);
    let follows: Vec<_> = (0..32).map(|_| peer.follow("bob", &actor)).collect();
    let statuses =
        futures_util::future::join_all(follows.iter().map(|f| peer.post("bob", &inbox, f))).await;
    for (status, body) in &statuses {
        assert_eq!(*status, 202, "{body}");
    }
    let fetched = peer
        .fetches()
        .into_iter()
        .filter(|(path, _)| path.starts_with("/users/bob"))
        .count();
    assert_eq!(fetched, 1, "bob's actor was fetched {fetched} times");
}
