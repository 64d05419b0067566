//! `pkgfed serve` on each backend (a SQLite file, a PostgreSQL database; see
//! `common/db.rs`): the real server on a loopback port, a follower peer follows a
//! package, the Accept is delivered by the queue worker, the follower is counted, and
//! both survive a restart; `/readyz` reports the database ready.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::db::TestDb;
use common::{Peer, TestServer};
use serde_json::json;

both_backends!(follow_accept_count_restart_and_undo);

async fn follow_accept_count_restart_and_undo(db: TestDb) {
    let url = db.url.clone();
    let server = TestServer::start_with(|c| c.storage.database_url = url.clone()).await;
    let (status, _, body) = server.get("/readyz", "text/plain").await;
    assert_eq!((status, body.trim()), (200, "ready"));
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let inbox = format!("{actor}/inbox");

    let follow = peer.follow("alice", &actor);
    let (status, body) = peer.post("alice", &inbox, &follow).await;
    assert_eq!(status, 202, "{body}");
    // The Accept went through the durable queue (an outbound activity and its
    // delivery in the database) and arrives signed by the package's key.
    let accept = peer
        .wait_for("Accept", |r| r.body["type"] == "Accept")
        .await;
    assert_eq!(
        accept.verified.as_deref(),
        Ok(format!("{actor}#main-key").as_str())
    );
    assert_eq!(accept.body["object"]["id"], follow["id"]);
    let followers = server
        .get_json(&format!("/packages/{}/followers", package.handle))
        .await;
    assert_eq!(followers["totalItems"], 1);
    // The same Follow again is a duplicate: nothing changes.
    let before = server.counts().await;
    assert_eq!(peer.post("alice", &inbox, &follow).await.0, 202);
    assert_eq!(server.counts().await, before);

    // A restart on the same database keeps the package, its key and the follower.
    let url = db.url.clone();
    let server = server
        .restart(|c| c.storage.database_url = url.clone())
        .await;
    let followers = server
        .get_json(&format!("/packages/{}/followers?page=true", package.handle))
        .await;
    assert_eq!(followers["orderedItems"], json!([peer.actor("alice")]));

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#undo", follow["id"].as_str().unwrap()),
        "type": "Undo",
        "actor": peer.actor("alice"),
        "object": follow,
    });
    assert_eq!(peer.post("alice", &inbox, &undo).await.0, 202);
    let followers = server
        .get_json(&format!("/packages/{}/followers", package.handle))
        .await;
    assert_eq!(followers["totalItems"], 0);
}
