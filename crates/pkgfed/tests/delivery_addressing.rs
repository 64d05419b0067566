//! Who receives what: followers grouped by shared inbox (one POST each), the rest at
//! their own inbox, `as:Public` never a target; the Accept of a Follow goes through
//! the durable queue to the follower's own inbox.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::Fleet;
use common::manual::row;
use pkgfed::events::Event;
use pkgfed::store::delivery::ActivityStatus;

#[tokio::test]
async fn followers_are_grouped_by_shared_inbox_and_public_is_never_a_target() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    let package = server.add_package("pkg:cargo/serde").await;
    let actor = server.state.urls.actor(&package.handle);
    // a, b and c advertise the host's shared inbox; d does not.
    h.without_shared_inbox("d");
    for name in ["a", "b", "c", "d"] {
        let status = h
            .post_as(name, &format!("{actor}/inbox"), &h.follow(name, &actor))
            .await;
        assert_eq!(status, 202);
    }
    assert_eq!(server.run_due().await, 4, "four Accepts");
    h.clear();

    let id = server.publish_post(&package, 1).await;
    let view = server.status(&id).await;
    assert_eq!(view.deliveries.len(), 2, "{view:#?}");
    let shared = row(&view, &h.shared_inbox());
    assert_eq!(
        shared.recipients,
        vec![h.actor("a"), h.actor("b"), h.actor("c")]
    );
    assert_eq!(row(&view, &h.inbox("d")).recipients, vec![h.actor("d")]);
    assert!(
        view.deliveries
            .iter()
            .all(|d| !d.inbox.contains("activitystreams")),
        "as:Public is an audience, not an inbox"
    );

    assert_eq!(server.run_due().await, 2);
    let mut paths: Vec<String> = h.received().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        vec!["/inbox", "/users/d/inbox"],
        "one POST per shared inbox"
    );
    // The body is the activity as published, still addressed to as:Public.
    let body = h.received()[0].json();
    assert_eq!(body["id"], id);
    assert_eq!(
        body["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    assert_eq!(server.status(&id).await.status, ActivityStatus::Completed);
}

#[tokio::test]
async fn followers_on_different_hosts_get_one_post_each() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(3).await;
    let package = server.add_package("pkg:npm/left-pad").await;
    // Two users on each host, all with the shared inbox: one POST per host.
    for h in &fleet.hosts {
        server
            .add_followers(&package, &[h.follower("x", true), h.follower("y", true)])
            .await;
    }
    server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 3);
    for h in &fleet.hosts {
        let got = h.received();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].path, "/inbox");
    }
}

#[tokio::test]
async fn accept_goes_through_the_queue_to_the_followers_own_inbox() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    let package = server.add_package("pkg:pypi/requests").await;
    let actor = server.state.urls.actor(&package.handle);
    let follow = h.follow("alice", &actor);
    // Through the shared inbox: where the Follow arrived does not matter.
    assert_eq!(
        h.post_as("alice", &server.url("/inbox"), &follow).await,
        202
    );

    // Queued, not sent inline.
    assert!(h.received().is_empty());
    let accept_id = server
        .events()
        .into_iter()
        .find_map(|e| match e {
            Event::DeliveryRequested {
                activity_id, kind, ..
            } if kind == "Accept" => Some(activity_id),
            _ => None,
        })
        .expect("an Accept was queued");
    let view = server.status(&accept_id).await;
    assert_eq!(view.status, ActivityStatus::Pending);
    assert_eq!(view.actor_id, actor);
    assert_eq!(view.deliveries.len(), 1);
    assert_eq!(
        view.deliveries[0].inbox,
        h.inbox("alice"),
        "own inbox, not shared"
    );

    assert_eq!(server.run_due().await, 1);
    let got = h.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/users/alice/inbox");
    assert_eq!(got[0].verified, Ok(format!("{actor}#main-key")));
    let accept = got[0].json();
    assert_eq!(accept["type"], "Accept");
    assert_eq!(accept["id"], accept_id);
    assert_eq!(accept["object"]["id"], follow["id"]);
    assert_eq!(
        server.status(&accept_id).await.status,
        ActivityStatus::Completed
    );
    // The Accept is not a public post: the package's outbox stays empty.
    assert_eq!(
        server.state.store.count_outbox(package.id).await.unwrap(),
        0
    );
}
