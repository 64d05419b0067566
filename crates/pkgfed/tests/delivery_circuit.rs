//! The per-host circuit breaker on a manual clock: consecutive failures open it; while
//! open nothing is attempted even when due; after the cooldown exactly one probe; a
//! failed probe reopens it with a doubled (capped) cooldown, a successful one closes it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Behaviour, Fleet};
use common::manual::followed_by_each;
use pkgfed::events::Event;
use pkgfed::store::delivery::{ActivityStatus, ClaimLimits};

const SECOND: i64 = 1000;

fn opened(events: &[Event], host: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::CircuitOpened { host: h } if h == host))
        .count()
}

#[tokio::test]
async fn circuit_opens_probes_once_and_closes() {
    let server = TestServer::start_manual_with(|c| {
        c.delivery.circuit_failure_threshold = 3;
        c.delivery.circuit_cooldown_seconds = 60;
        c.delivery.circuit_max_cooldown_seconds = 200;
    })
    .await;
    let fleet = Fleet::start(2).await;
    let (down, up) = (fleet.host(0), fleet.host(1));
    down.set(Behaviour::Status(500));
    let package = followed_by_each(&server, &fleet).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(server.publish_post(&package, n).await);
    }
    assert_eq!(server.run_due().await, 6);

    // Three failures in a row: open for the base cooldown.
    let t0 = server.now();
    let st = server.host_state(&down.host).await;
    assert_eq!(st.circuit, "open");
    assert_eq!(st.consecutive_failures, 3);
    assert_eq!(st.circuit_open_until, Some(t0 + 60 * SECOND));
    assert_eq!(opened(&server.events(), &down.host), 1);
    assert_eq!(server.host_state(&up.host).await.circuit, "closed");

    // While open: a new post reaches the healthy host only, though it is due for both.
    ids.push(server.publish_post(&package, 4).await);
    assert_eq!(server.run_due().await, 1);
    assert_eq!(up.received().len(), 4);
    // The worker would sleep until the probe is allowed.
    assert_eq!(
        server.state.store.next_due_at().await.unwrap(),
        Some(t0 + 60 * SECOND)
    );
    // A millisecond before the cooldown ends, retries are due too: still nothing.
    server.advance_ms(60 * SECOND - 1);
    assert_eq!(server.run_due().await, 0);
    assert_eq!(down.received().len(), 3);

    // Cooldown over: half-open, exactly one probe; it fails and reopens the circuit
    // for twice as long.
    server.advance_ms(1);
    assert_eq!(server.host_state(&down.host).await.circuit, "half_open");
    assert_eq!(server.run_due().await, 1, "one probe, not the backlog");
    let st = server.host_state(&down.host).await;
    assert_eq!((st.circuit.as_str(), st.consecutive_failures), ("open", 4));
    assert_eq!(st.circuit_open_until, Some(server.now() + 120 * SECOND));
    assert_eq!(opened(&server.events(), &down.host), 1, "reopened");

    // Next failed probe: doubled again, but capped at the maximum (200 s, not 240 s).
    server.advance_ms(120 * SECOND);
    assert_eq!(server.run_due().await, 1);
    let st = server.host_state(&down.host).await;
    assert_eq!(st.circuit_open_until, Some(server.now() + 200 * SECOND));
    assert_eq!(down.received().len(), 5);

    // The host recovers. The claim hands out exactly one probe even though four
    // deliveries are due and the per-host limit is four.
    server.advance_ms(200 * SECOND);
    down.set(Behaviour::Ok);
    let claimed = server
        .state
        .store
        .claim_due(ClaimLimits {
            now_ms: server.now(),
            lease_ms: 60 * SECOND,
            limit: 10,
            per_host: 4,
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    server
        .deliverer
        .deliver(claimed.into_iter().next().unwrap())
        .await;
    let st = server.host_state(&down.host).await;
    assert_eq!(st.circuit, "closed");
    assert_eq!((st.consecutive_failures, st.circuit_open_until), (0, None));

    // Closed: the rest of the backlog flows again (one retry is not due yet).
    assert_eq!(server.run_due().await, 2);
    server.advance_ms(10 * 60 * SECOND);
    assert_eq!(server.run_due().await, 1);
    for id in &ids {
        assert_eq!(
            server.status(id).await.status,
            ActivityStatus::Completed,
            "{id}"
        );
    }
}

#[tokio::test]
async fn answers_that_are_not_failures_reset_the_count() {
    let server = TestServer::start_manual_with(|c| c.delivery.circuit_failure_threshold = 3).await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    let package = followed_by_each(&server, &fleet).await;
    // Two failures, then a 400: the host answered, so it is alive...
    h.set(Behaviour::Status(500));
    for n in 1..=2 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 1);
    }
    assert_eq!(server.host_state(&h.host).await.consecutive_failures, 2);
    h.set(Behaviour::Status(400));
    server.publish_post(&package, 3).await;
    assert_eq!(server.run_due().await, 1);
    let st = server.host_state(&h.host).await;
    assert_eq!((st.consecutive_failures, st.failing_since), (0, None));
    // ...so two more failures do not open the circuit.
    h.set(Behaviour::Status(500));
    for n in 4..=5 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 1);
    }
    let st = server.host_state(&h.host).await;
    assert_eq!(
        (st.circuit.as_str(), st.consecutive_failures),
        ("closed", 2)
    );
    assert_eq!(opened(&server.events(), &h.host), 0);
}

/// Deliveries already in flight when a host's circuit opens fail too: their failures
/// extend the cooldown, but the outage is one `circuit_opened` event, not one per
/// delivery that was on its way.
#[tokio::test]
async fn failures_in_flight_when_the_circuit_opens_do_not_open_it_again() {
    let server = TestServer::start_manual_with(|c| {
        c.delivery.circuit_failure_threshold = 2;
        c.delivery.circuit_cooldown_seconds = 60;
        c.delivery.per_host_concurrency = 8;
    })
    .await;
    let fleet = Fleet::start(1).await;
    let down = fleet.host(0);
    down.set(Behaviour::Status(500));
    let package = followed_by_each(&server, &fleet).await;
    for n in 1..=6 {
        server.publish_post(&package, n).await;
    }
    // All six are claimed at once (per-host limit 8) and all fail.
    assert_eq!(server.run_due().await, 6);
    assert_eq!(down.received().len(), 6);
    let st = server.host_state(&down.host).await;
    assert_eq!((st.circuit.as_str(), st.consecutive_failures), ("open", 6));
    assert_eq!(opened(&server.events(), &down.host), 1);
}
