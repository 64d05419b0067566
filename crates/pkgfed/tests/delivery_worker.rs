//! The real delivery worker (the background loop of `server::run`), where time does
//! not matter: a fan-out to 200 inboxes within the concurrency limits, and a follow
//! answered by an Accept and a backfill. The fan-out and the pick-up of work queued by
//! another process run on both backends (`common/db.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::db::TestDb;
use common::fleet::Fleet;
use common::manual::queued_post;
use common::{TestServer, eventually};
use pkgfed::store::NewFollower;
use pkgfed::store::delivery::{ActivityStatus, ClaimLimits};

mod on_multi_thread {
    use super::*;
    both_backends!(multi_thread; fan_out_to_200_inboxes_within_the_concurrency_limits);
}
both_backends!(work_queued_by_another_process_is_picked_up_promptly);

async fn fan_out_to_200_inboxes_within_the_concurrency_limits(db: TestDb) {
    let server = TestServer::start_with(|c| {
        c.storage.database_url = db.url.clone();
        c.delivery.concurrency = 32;
        c.delivery.per_host_concurrency = 2;
    })
    .await;
    let fleet = Fleet::start(50).await;
    // Slow enough that the limits are actually reached.
    fleet.set_delay(Duration::from_millis(20));
    let package = server.add_package("pkg:cargo/tokio").await;
    let followers: Vec<NewFollower> = fleet
        .hosts
        .iter()
        .flat_map(|h| (0..4).map(|i| h.follower(&format!("u{i}"), false)))
        .collect();
    server.add_followers(&package, &followers).await;

    let id = server.publish_post(&package, 1).await;
    eventually("200 inboxes received the post", || async {
        fleet.received().len() >= 200
    })
    .await;
    eventually("the activity completed", || async {
        let view = server.state.store.activity_status(&id).await.unwrap();
        view.is_some_and(|v| v.status == ActivityStatus::Completed)
    })
    .await;

    let received = fleet.received();
    assert_eq!(received.len(), 200, "exactly once each");
    let key_id = format!("{}#main-key", server.state.urls.actor(&package.handle));
    assert!(
        received
            .iter()
            .all(|r| r.verified.as_deref() == Ok(key_id.as_str()))
    );
    let mut inboxes: Vec<String> = received
        .iter()
        .map(|r| format!("{}{}", r.host, r.path))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    assert_eq!(inboxes.len(), 200);
    for h in &fleet.hosts {
        assert!(
            h.max_in_flight() <= 2,
            "{} had {}",
            h.host,
            h.max_in_flight()
        );
    }
    assert!(
        fleet.hosts.iter().any(|h| h.max_in_flight() == 2),
        "the per-host limit was reached, so it was what held"
    );
}

#[tokio::test]
async fn follow_is_answered_and_backfilled_by_the_worker() {
    // One at a time per host, so arrival order is claim order.
    let server = TestServer::start_with(|c| {
        c.delivery.backfill_pacing_ms = 20;
        c.delivery.per_host_concurrency = 1;
    })
    .await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    let package = server.add_package("pkg:pypi/requests").await;
    let actor = server.state.urls.actor(&package.handle);
    let mut posts = Vec::new();
    for n in 1..=4 {
        posts.push(server.publish_post(&package, n).await);
    }
    let follow = h.follow("erin", &actor);
    assert_eq!(
        h.post_as("erin", &format!("{actor}/inbox"), &follow).await,
        202
    );
    eventually("Accept and backfill arrived", || async {
        h.received().len() >= 4
    })
    .await;
    let got = h.received();
    assert_eq!(got[0].json()["type"], "Accept");
    let backfilled: Vec<String> = got[1..].iter().map(|r| r.id()).collect();
    assert_eq!(
        backfilled,
        posts[1..].to_vec(),
        "the three latest, oldest first"
    );
    assert!(
        got.iter()
            .all(|r| r.path == "/users/erin/inbox" && r.verified.is_ok())
    );
}

async fn work_queued_by_another_process_is_picked_up_promptly(db: TestDb) {
    let server = TestServer::start_with(|c| c.storage.database_url = db.url.clone()).await;
    let fleet = Fleet::start(1).await;
    let package = common::manual::followed_by_each(&server, &fleet).await;
    // Let the worker go idle on an empty queue first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Another handle on the database, as a CLI command would have: it cannot wake
    // the worker, which must still notice within its idle poll.
    let other = pkgfed::store::open(&server.state.settings.database_url)
        .await
        .unwrap();
    let actor = server.state.urls.actor(&package.handle);
    let (outbound, audience) = queued_post(&actor, &package, 1);
    let now = server.state.clock.now_ms();
    other.publish(&outbound, &audience, now).await.unwrap();
    let started = std::time::Instant::now();
    eventually("delivered", || async {
        !fleet.host(0).received().is_empty()
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_claim_never_recorded_is_returned_to_the_queue_when_its_lease_expires() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let package = common::manual::followed_by_each(&server, &fleet).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(server.deliverer.clone().run(stopped));
    tokio::time::sleep(Duration::from_millis(100)).await;

    // A delivery claimed, then lost: its attempt is never recorded (as when the
    // database failed at that moment), so it stays in flight. It is queued and
    // claimed as of ten minutes from now, so the running worker cannot take it first.
    let later = server.now() + 10 * 60_000;
    let actor = server.state.urls.actor(&package.handle);
    let (outbound, audience) = queued_post(&actor, &package, 1);
    let store = &server.state.store;
    store.publish(&outbound, &audience, later).await.unwrap();
    let claimed = store
        .claim_due(ClaimLimits {
            now_ms: later,
            lease_ms: 60_000,
            limit: 10,
            per_host: 4,
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    server.advance_to(later + 59_000);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(fleet.host(0).received().is_empty(), "held by its lease");
    let id = &outbound.activity_id;
    assert_eq!(server.status(id).await.deliveries[0].state, "in_flight");

    // Past the lease, the running worker returns it to the queue and delivers it.
    server.advance_ms(1_001);
    eventually("delivered after the lease", || async {
        !fleet.host(0).received().is_empty()
    })
    .await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}
