//! Classification of delivery results against real inboxes: what each kind of answer
//! (or non-answer) does to the delivery, its report and its host.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Answer, Behaviour, Fleet};
use common::manual::{followed_by_each, row};

const MINUTE: i64 = 60_000;

#[tokio::test]
async fn success_2xx_completes_with_a_success_report_and_a_healthy_host() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 1);

    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("succeeded", 1, Some(202))
    );
    let reports = server.reports(&id).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].result, "success");
    assert_eq!(reports[0].recipients, vec![h.actor("u")]);
    let host = server.host_state(&h.host).await;
    assert_eq!(
        (host.consecutive_failures, host.circuit.as_str()),
        (0, "closed")
    );
    assert_eq!(host.last_success_at, Some(server.now()));
}

#[tokio::test]
async fn refusals_401_403_404_410_are_permanent_with_their_suggested_action() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(4).await;
    let cases = [
        (401, "rotate_keys"),
        (403, "flag_remote_server"),
        (404, "remove_follower"),
        (410, "remove_follower"),
    ];
    for (i, (status, _)) in cases.iter().enumerate() {
        fleet.host(i).set(Behaviour::Status(*status));
    }
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 4);

    let view = server.status(&id).await;
    let reports = server.reports(&id).await;
    for (i, (status, action)) in cases.iter().enumerate() {
        let h = fleet.host(i);
        let d = row(&view, &h.inbox("u"));
        assert_eq!((d.state.as_str(), d.last_status), ("failed", Some(*status)));
        let r = reports
            .iter()
            .find(|r| r.inbox_url == h.inbox("u"))
            .unwrap();
        assert_eq!(r.result, "permanent_failure", "{status}");
        assert_eq!(r.suggested_action.as_deref(), Some(*action), "{status}");
        assert_eq!(r.status_code, Some(*status));
        // The host answered: it is alive, nothing counts towards its circuit.
        assert_eq!(server.host_state(&h.host).await.consecutive_failures, 0);
    }
    // No retry is ever scheduled for them.
    server.advance_ms(48 * 60 * MINUTE);
    assert_eq!(server.run_due().await, 0);
}

#[tokio::test]
async fn other_4xx_is_permanent_without_action() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(400));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 1);
    let r = &server.reports(&id).await[0];
    assert_eq!(
        (r.result.as_str(), r.status_code),
        ("permanent_failure", Some(400))
    );
    assert_eq!(r.suggested_action, None);
    assert_eq!(r.attempts, 1);
    server.advance_ms(48 * 60 * MINUTE);
    assert_eq!(server.run_due().await, 0);
    assert_eq!(h.received().len(), 1);
}

#[tokio::test]
async fn too_many_requests_429_honours_retry_after() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::RetryAfter(429, "600".into()));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    let failed_at = server.now();
    assert_eq!(server.run_due().await, 1);

    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!((d.state.as_str(), d.last_status), ("pending", Some(429)));
    // Ten minutes, not the schedule's one: the server asked for longer.
    assert_eq!(d.next_attempt_at, failed_at + 10 * MINUTE);
    assert!(
        server.reports(&id).await.is_empty(),
        "no report before a final outcome"
    );
    assert_eq!(server.host_state(&h.host).await.consecutive_failures, 1);

    h.set(Behaviour::Ok);
    server.advance_ms(10 * MINUTE - 1);
    assert_eq!(server.run_due().await, 0, "not before Retry-After");
    server.advance_ms(1);
    assert_eq!(server.run_due().await, 1);
    assert_eq!(
        row(&server.status(&id).await, &h.inbox("u")).state,
        "succeeded"
    );
}

#[tokio::test]
async fn server_error_500_is_retried_on_the_schedule() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(500));
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    let failed_at = server.now();
    assert_eq!(server.run_due().await, 1);

    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!((d.state.as_str(), d.last_status), ("pending", Some(500)));
    assert_eq!(d.last_error.as_deref(), Some("HTTP 500"));
    let delay = d.next_attempt_at - failed_at;
    assert!((54_000..=66_000).contains(&delay), "1 min ±10 %: {delay}");
    let host = server.host_state(&h.host).await;
    assert_eq!(
        (host.consecutive_failures, host.failing_since),
        (1, Some(failed_at))
    );
}

#[tokio::test]
async fn hanging_inbox_times_out_and_is_retried() {
    let server = TestServer::start_manual_with(|c| {
        c.federation.request_timeout_seconds = 1;
        c.federation.connect_timeout_seconds = 1;
    })
    .await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Hang);
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    let started = std::time::Instant::now();
    assert_eq!(server.run_due().await, 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    assert_eq!(h.received()[0].answer, Answer::Hung);
    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!((d.state.as_str(), d.last_status), ("pending", None));
    assert!(
        d.last_error.as_deref().unwrap().contains("timed out"),
        "{d:?}"
    );
    assert_eq!(server.host_state(&h.host).await.consecutive_failures, 1);
}

#[tokio::test]
async fn dropped_connection_is_a_network_error_and_is_retried() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Close);
    let package = followed_by_each(&server, &fleet).await;
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 1);

    let received = h.received();
    assert_eq!(received.len(), 1, "the request did arrive");
    assert_eq!(received[0].answer, Answer::Closed);
    let view = server.status(&id).await;
    let d = row(&view, &h.inbox("u"));
    assert_eq!((d.state.as_str(), d.last_status), ("pending", None));
    assert!(!d.last_error.as_deref().unwrap_or_default().is_empty());
    assert_eq!(server.host_state(&h.host).await.consecutive_failures, 1);
    assert!(server.reports(&id).await.is_empty());
}
