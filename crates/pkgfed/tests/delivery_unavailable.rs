//! Hosts failing for days: after `delivery.unavailable_after_days` (7) of continuous
//! failure new deliveries are recorded as skipped, not attempted, until a delivery
//! succeeds again or a verified activity arrives from the host.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Behaviour, Fleet};
use common::manual::{ManualServer, followed_by_each, row};
use pkgfed::events::Event;
use pkgfed::store::Package;
use pkgfed::store::delivery::ActivityStatus;
use serde_json::json;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// Host 0 of `fleet` fails from now on; after seven days it is unavailable.
async fn fail_for_a_week(server: &ManualServer, fleet: &Fleet, package: &Package) {
    let h = fleet.host(0);
    h.set(Behaviour::Status(503));
    let started = server.now();
    server.publish_post(package, 1).await;
    server.run_due().await;
    // Six days and 23 hours of failing is not yet a week.
    server.advance_ms(7 * DAY - MINUTE);
    server.publish_post(package, 2).await;
    server.run_due().await;
    assert!(!server.host_state(&h.host).await.unavailable);
    server.advance_ms(MINUTE);
    server.publish_post(package, 3).await;
    server.run_due().await;
    let st = server.host_state(&h.host).await;
    assert!(st.unavailable, "{st:?}");
    assert_eq!(st.failing_since, Some(started));
    let marked: Vec<_> = server
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::HostUnavailable { host } if *host == h.host))
        .collect();
    assert_eq!(marked.len(), 1);
}

async fn start() -> (ManualServer, Fleet, Package) {
    // The circuit breaker stays out of the way: every due retry is attempted.
    let server =
        TestServer::start_manual_with(|c| c.delivery.circuit_failure_threshold = 1000).await;
    let fleet = Fleet::start(2).await;
    let package = followed_by_each(&server, &fleet).await;
    (server, fleet, package)
}

#[tokio::test]
async fn unavailable_host_is_skipped_then_revived_by_a_successful_delivery() {
    let (server, fleet, package) = start().await;
    let (down, up) = (fleet.host(0), fleet.host(1));
    fail_for_a_week(&server, &fleet, &package).await;
    let attempts_before = down.received().len();

    // A new post: skipped for the unavailable host (with a report), sent to the other.
    let id = server.publish_post(&package, 4).await;
    assert!(server.events().iter().any(|e| matches!(
        e,
        Event::DeliveryRequested { activity_id, deliveries: 1, skipped: 1, .. } if *activity_id == id
    )));
    let view = server.status(&id).await;
    assert_eq!(row(&view, &down.inbox("u")).state, "skipped");
    assert_eq!(row(&view, &up.inbox("u")).state, "pending");
    let reports = server.reports(&id).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(
        (reports[0].result.as_str(), reports[0].inbox_url.as_str()),
        ("skipped", down.inbox("u").as_str())
    );
    assert_eq!(reports[0].attempts, 0);
    server.run_due().await;
    assert_eq!(down.received().len(), attempts_before, "never attempted");
    assert_eq!(
        server.status(&id).await.status,
        ActivityStatus::Completed,
        "skipped counts as done"
    );
    let dead = server
        .state
        .store
        .dead_followers(Some(package.id))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].actor_id, down.actor("u"));

    // The host recovers: the retries already queued for it succeed…
    down.set(Behaviour::Ok);
    server.advance_ms(DAY);
    assert!(server.run_due().await > 0);
    let st = server.host_state(&down.host).await;
    assert!(!st.unavailable, "{st:?}");
    assert_eq!(st.failing_since, None);
    // …and the next post is delivered to it again.
    let id = server.publish_post(&package, 5).await;
    server.run_due().await;
    assert_eq!(
        row(&server.status(&id).await, &down.inbox("u")).state,
        "succeeded"
    );
    assert!(
        server
            .state
            .store
            .dead_followers(Some(package.id))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn unavailable_host_is_revived_by_a_verified_activity_from_it() {
    let (server, fleet, package) = start().await;
    let down = fleet.host(0);
    fail_for_a_week(&server, &fleet, &package).await;
    let id = server.publish_post(&package, 4).await;
    assert_eq!(
        row(&server.status(&id).await, &down.inbox("u")).state,
        "skipped"
    );

    // Someone on that host reacts to a post: a signed activity pkgfed verifies by
    // fetching the actor from that very host.
    let actor = server.state.urls.actor(&package.handle);
    let like = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/likes/1", down.actor("zed")),
        "type": "Like",
        "actor": down.actor("zed"),
        "object": format!("{actor}/posts/1"),
    });
    assert_eq!(down.post_as("zed", &server.url("/inbox"), &like).await, 202);
    let st = server.host_state(&down.host).await;
    assert!(!st.unavailable, "{st:?}");
    assert_eq!((st.consecutive_failures, st.circuit_open_until), (0, None));

    // New deliveries are attempted again (the host still answers 503, so they wait
    // for their retry rather than being skipped).
    let id = server.publish_post(&package, 5).await;
    server.run_due().await;
    let view = server.status(&id).await;
    let d = row(&view, &down.inbox("u"));
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 1));
}

#[tokio::test]
async fn a_follow_from_an_unavailable_host_is_accepted() {
    let (server, fleet, package) = start().await;
    let down = fleet.host(0);
    fail_for_a_week(&server, &fleet, &package).await;
    down.set(Behaviour::Ok);

    // The Follow proves the host is up: its Accept must be sent, not skipped.
    let actor = server.state.urls.actor(&package.handle);
    let follow = down.follow("zed", &actor);
    assert_eq!(
        down.post_as("zed", &server.url("/inbox"), &follow).await,
        202
    );
    server.run_due().await;
    let accepts: Vec<_> = down
        .received()
        .into_iter()
        .filter(|r| r.json()["type"] == "Accept")
        .collect();
    assert_eq!(accepts.len(), 1, "the Accept was skipped");
    assert_eq!(accepts[0].json()["object"]["id"], follow["id"]);
}
