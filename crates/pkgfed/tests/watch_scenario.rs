//! The scenario, end to end on loopback: a follower peer follows a package
//! (created on first lookup from the fixture registry); the registry publishes two
//! versions; the peer receives two verifiable Creates in version order; the server
//! restarts and nothing is announced twice; a version is yanked and the peer receives
//! the Delete of its post. On both backends (`common/db.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::db::TestDb;
use common::watch::{now_unix, use_fixture, within_30s};
use common::{Peer, TestServer};
use pkgfed_registries::fixtures::FixtureRegistry;

fn creates(peer: &Peer) -> Vec<serde_json::Value> {
    peer.received()
        .into_iter()
        .filter(|r| r.body["type"] == "Create")
        .map(|r| {
            assert!(r.verified.is_ok(), "unverified Create: {:?}", r.verified);
            r.body
        })
        .collect()
}

both_backends!(follow_publish_restart_yank);

async fn follow_publish_restart_yank(db: TestDb) {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.storage.database_url = db.url.clone();
    })
    .await;

    // serde is unknown to pkgfed: WebFinger asks the registry and creates the actor.
    let jrd = server
        .client
        .get(server.url(&format!(
            "/.well-known/webfinger?resource=acct:cargo.serde@{}",
            server.host
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(jrd.status(), 200);
    let package = server
        .state
        .store
        .package_by_handle("cargo.serde")
        .await
        .unwrap()
        .expect("created on lookup");
    let actor = server.url("/packages/cargo.serde");

    let peer = Peer::start().await;
    let follow = peer.follow("alice", &actor);
    assert_eq!(
        peer.post("alice", &format!("{actor}/inbox"), &follow)
            .await
            .0,
        202
    );
    peer.wait_for("Accept", |r| r.body["type"] == "Accept")
        .await;

    // The first check records a baseline and posts nothing old.
    let store = server.state.store.clone();
    within_30s("the baseline check", || async {
        store
            .watch(package.id)
            .await
            .unwrap()
            .is_some_and(|w| w.baseline_done)
    })
    .await;
    let baseline = store.releases(package.id).await.unwrap();
    assert!(baseline.len() > 200, "serde has hundreds of versions");
    assert!(creates(&peer).is_empty());

    // Two versions published between two checks: one post each, in version order.
    fixture.edit(|r| {
        r.cargo_publish("serde", "1.0.301", Some(now_unix()));
        r.cargo_publish("serde", "1.0.300", Some(now_unix()));
    });
    within_30s("two Creates", || async { creates(&peer).len() >= 2 }).await;
    let got = creates(&peer);
    assert_eq!(got.len(), 2, "{got:#?}");
    let purls: Vec<_> = got
        .iter()
        .map(|c| {
            c["object"]["attachment"][1]["value"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        purls,
        ["pkg:cargo/serde@1.0.300", "pkg:cargo/serde@1.0.301"]
    );
    let first = &got[0];
    assert_eq!(first["actor"], actor);
    assert_eq!(
        first["cc"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    assert_eq!(first["to"][0], format!("{actor}/followers"));
    let note_id = first["object"]["id"].as_str().unwrap().to_owned();
    assert_eq!(note_id, format!("{actor}/releases/1.0.300"));
    let content = first["object"]["content"].as_str().unwrap();
    assert!(
        content.contains("https://registry.test/crates/serde/1.0.300"),
        "{content}"
    );
    assert!(content.contains("#<span>release</span>"), "{content}");
    // Signed by the package's key.
    let verified = peer
        .received()
        .into_iter()
        .find(|r| r.body["type"] == "Create")
        .unwrap()
        .verified
        .unwrap();
    assert_eq!(verified, format!("{actor}#main-key"));

    // The Note is fetchable at its id, and listed in the outbox.
    let note = server
        .get_json("/packages/cargo.serde/releases/1.0.300")
        .await;
    assert_eq!(note["id"], note_id);
    assert_eq!(note["type"], "Note");
    let (status, ct, html) = server
        .get("/packages/cargo.serde/releases/1.0.300", "text/html")
        .await;
    assert_eq!(status, 200);
    assert!(
        ct.starts_with("text/html") && html.contains("serde 1.0.300"),
        "{html}"
    );
    let outbox = server.get_json("/packages/cargo.serde/outbox").await;
    assert_eq!(outbox["totalItems"], 2);

    // Restart: the same database, port and base URL. Several checks later, nothing new.
    let server = server
        .restart(|c| {
            use_fixture(c, &fixture);
            c.storage.database_url = db.url.clone();
        })
        .await;
    let store = server.state.store.clone();
    let before = store.watch(package.id).await.unwrap().unwrap();
    within_30s("two more checks after the restart", || async {
        let now = store.watch(package.id).await.unwrap().unwrap();
        now.next_check_at > before.next_check_at + 1500
    })
    .await;
    assert_eq!(creates(&peer).len(), 2, "a restart announced again");

    // A yank deletes the post: the peer gets a verifiable Delete of a Tombstone.
    assert!(fixture.edit(|r| r.cargo_set_yanked("serde", "1.0.300", true)));
    let delete = peer
        .wait_for("Delete", |r| r.body["type"] == "Delete")
        .await;
    assert_eq!(delete.verified.unwrap(), format!("{actor}#main-key"));
    assert_eq!(delete.body["object"]["id"], note_id);
    assert_eq!(delete.body["object"]["type"], "Tombstone");
    let (status, _, _) = server
        .get(
            "/packages/cargo.serde/releases/1.0.300",
            "application/activity+json",
        )
        .await;
    assert_eq!(status, 410);
    let outbox = server.get_json("/packages/cargo.serde/outbox").await;
    assert_eq!(
        outbox["totalItems"], 1,
        "the deleted post leaves the outbox"
    );

    // Un-yanked: a new post with a new id (Mastodon will not revive a deleted one).
    assert!(fixture.edit(|r| r.cargo_set_yanked("serde", "1.0.300", false)));
    within_30s("the re-post", || async { creates(&peer).len() == 3 }).await;
    let again = creates(&peer).pop().unwrap();
    assert_eq!(again["object"]["id"], format!("{actor}/releases/1.0.300/1"));
}
