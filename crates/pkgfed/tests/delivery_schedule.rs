//! The retry schedule on a manual clock (no sleeping): 1 min, 5 min, 30 min, 2 h,
//! 12 h, 24 h, each ±10 %, then given up; and fresh activities go before retries.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Behaviour, Fleet};
use common::manual::{followed_by_each, row};
use pkgfed::events::Event;
use pkgfed::store::delivery::ActivityStatus;

const MINUTE: i64 = 60_000;
const SCHEDULE: [i64; 6] = [
    MINUTE,
    5 * MINUTE,
    30 * MINUTE,
    120 * MINUTE,
    720 * MINUTE,
    1440 * MINUTE,
];

#[tokio::test]
async fn retries_follow_the_schedule_then_give_up() {
    // The circuit breaker is out of the way here; it has its own tests.
    let server =
        TestServer::start_manual_with(|c| c.delivery.circuit_failure_threshold = 100).await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(500));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 1);

    let mut delays = Vec::new();
    for (i, base) in SCHEDULE.iter().enumerate() {
        let failed_at = server.now();
        let d = row(&server.status(&id).await, &h.inbox("u")).clone();
        assert_eq!((d.state.as_str(), d.attempts), ("pending", i as u32 + 1));
        let delay = d.next_attempt_at - failed_at;
        assert!(
            delay >= base * 9 / 10 && delay <= base * 11 / 10,
            "retry {}: {delay} ms is not {base} ms ±10 %",
            i + 1
        );
        delays.push(delay * 100 / base);
        // Not a millisecond early…
        server.advance_to(d.next_attempt_at - 1);
        assert_eq!(server.run_due().await, 0, "retry {} ran early", i + 1);
        // …and on time.
        server.advance_ms(1);
        assert_eq!(server.run_due().await, 1, "retry {} did not run", i + 1);
    }
    assert_eq!(h.received().len(), 7, "one attempt and six retries");

    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!((d.state.as_str(), d.attempts), ("failed", 7));
    assert_eq!(view.status, ActivityStatus::Failed);
    let reports = server.reports(&id).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].result, "transient_failure");
    assert_eq!(reports[0].attempts, 7);
    assert!(
        reports[0].reason.contains("gave up after 7 attempts"),
        "{}",
        reports[0].reason
    );
    let exhausted: Vec<_> = server
        .events()
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::DeliveryFailed {
                    exhausted: true,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(exhausted.len(), 1);
    // Nothing more, ever.
    server.advance_ms(7 * 1440 * MINUTE);
    assert_eq!(server.run_due().await, 0);
    // Jitter: the six delays are not all the exact base (a thundering herd).
    assert!(delays.iter().any(|p| *p != 100), "{delays:?}");
}

#[tokio::test]
async fn jitter_spreads_retries_of_one_outage() {
    let server =
        TestServer::start_manual_with(|c| c.delivery.circuit_failure_threshold = 100).await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(502));
    let package = followed_by_each(&server, &fleet).await;
    let mut ids = Vec::new();
    for n in 1..=8 {
        ids.push(server.publish_post(&package, n).await);
    }
    let failed_at = server.now();
    assert_eq!(server.run_due().await, 8);
    let mut due = std::collections::BTreeSet::new();
    for id in &ids {
        let d = row(&server.status(id).await, &h.inbox("u")).clone();
        assert!((54_000..=66_000).contains(&(d.next_attempt_at - failed_at)));
        due.insert(d.next_attempt_at);
    }
    assert!(due.len() >= 6, "retries spread over the window: {due:?}");
}

#[tokio::test]
async fn fresh_activities_go_before_due_retries() {
    // One delivery at a time, so the claim order is the delivery order.
    let server = TestServer::start_manual_with(|c| {
        c.delivery.concurrency = 1;
        c.delivery.per_host_concurrency = 1;
        c.delivery.circuit_failure_threshold = 100;
    })
    .await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(500));
    let package = followed_by_each(&server, &fleet).await;
    let mut old = Vec::new();
    for n in 1..=5 {
        old.push(server.publish_post(&package, n).await);
    }
    assert_eq!(server.run_due().await, 5);

    // Every retry is long due when a new post arrives and the host recovers.
    server.advance_ms(10 * MINUTE);
    h.set(Behaviour::Ok);
    h.clear();
    let fresh = server.publish_post(&package, 6).await;
    assert_eq!(server.run_due().await, 6);
    let order: Vec<String> = h.received().iter().map(|r| r.id()).collect();
    assert_eq!(
        order[0], fresh,
        "the new post is not starved by retries: {order:?}"
    );
    let mut rest = order[1..].to_vec();
    rest.sort();
    let mut expected = old.clone();
    expected.sort();
    assert_eq!(rest, expected);
}
