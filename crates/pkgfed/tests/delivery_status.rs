//! An outbound activity's status follows its deliveries: pending while any remains,
//! completed when all succeeded (or were skipped), failed — with a detail naming the
//! inbox — as soon as one failed for good.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Behaviour, Fleet};
use common::manual::{followed_by_each, row};
use pkgfed::events::Event;
use pkgfed::store::delivery::ActivityStatus;

fn status_changes(events: Vec<Event>, id: &str) -> Vec<ActivityStatus> {
    events
        .into_iter()
        .filter_map(|e| match e {
            Event::ActivityStatusChanged {
                activity_id,
                status,
            } if activity_id == id => Some(status),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn pending_then_completed_when_every_inbox_accepted() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(3).await;
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;

    let view = server.status(&id).await;
    assert_eq!(view.status, ActivityStatus::Pending);
    assert_eq!(view.kind, "Create");
    assert_eq!(view.deliveries.len(), 3);
    assert!(view.deliveries.iter().all(|d| d.state == "pending"));
    let requested = server.events();
    assert!(requested.iter().any(|e| matches!(
        e,
        Event::DeliveryRequested { activity_id, deliveries: 3, skipped: 0, .. } if *activity_id == id
    )));

    assert_eq!(server.run_due().await, 3);
    let view = server.status(&id).await;
    assert_eq!(view.status, ActivityStatus::Completed);
    assert_eq!(view.status_detail, None);
    assert!(view.deliveries.iter().all(|d| d.state == "succeeded"));
    assert_eq!(
        status_changes(server.events(), &id),
        vec![ActivityStatus::Completed],
        "one change, when the last delivery succeeded"
    );
}

#[tokio::test]
async fn failed_with_a_detail_when_one_inbox_refuses_for_good() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(2).await;
    let bad = fleet.host(1);
    bad.set(Behaviour::Status(400));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 2);

    let view = server.status(&id).await;
    assert_eq!(view.status, ActivityStatus::Failed);
    let detail = view.status_detail.clone().unwrap();
    assert!(detail.contains("1 of 2"), "{detail}");
    assert!(detail.contains(&bad.inbox("u")), "{detail}");
    assert!(detail.contains("HTTP 400"), "{detail}");
    assert_eq!(row(&view, &fleet.host(0).inbox("u")).state, "succeeded");
    let events = server.events();
    assert_eq!(
        status_changes(events.clone(), &id),
        vec![ActivityStatus::Failed]
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::DeliveryFailed { inbox, exhausted: false, .. } if *inbox == bad.inbox("u")
    )));
}

#[tokio::test]
async fn pending_while_retries_remain_then_completed() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(2).await;
    let flaky = fleet.host(1);
    flaky.set(Behaviour::Status(503));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 2);

    let view = server.status(&id).await;
    assert_eq!(view.status, ActivityStatus::Pending, "a retry remains");
    let d = row(&view, &flaky.inbox("u"));
    assert_eq!((d.state.as_str(), d.attempts), ("pending", 1));
    assert!(status_changes(server.events(), &id).is_empty());

    // Still failing at the first retry: still pending.
    server.advance_to(d.next_attempt_at);
    assert_eq!(server.run_due().await, 1);
    assert_eq!(server.status(&id).await.status, ActivityStatus::Pending);

    flaky.set(Behaviour::Ok);
    let d = row(&server.status(&id).await, &flaky.inbox("u")).clone();
    server.advance_to(d.next_attempt_at);
    assert_eq!(server.run_due().await, 1);
    let view = server.status(&id).await;
    assert_eq!(view.status, ActivityStatus::Completed);
    assert_eq!(row(&view, &flaky.inbox("u")).attempts, 3);
    assert_eq!(
        status_changes(server.events(), &id),
        vec![ActivityStatus::Completed]
    );
    let reports = server.reports(&id).await;
    assert_eq!(
        reports.len(),
        2,
        "one report per inbox, for its final outcome"
    );
    assert!(reports.iter().all(|r| r.result == "success"));
}

#[tokio::test]
async fn an_activity_queued_twice_is_one_activity() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.publish_post(&package, 1).await, id);
    assert_eq!(server.status(&id).await.deliveries.len(), 1);
    assert_eq!(server.run_due().await, 1);
    assert_eq!(fleet.host(0).received().len(), 1);
}
