//! Remediation rules acting on delivery reports: gone followers are removed, repeated
//! 403s flag the domain, repeated 401s recommend key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Behaviour, Fleet};
use common::manual::followed_by_each;
use pkgfed::events::Event;

const HOUR: i64 = 3_600_000;

#[tokio::test]
async fn gone_404_and_410_remove_the_followers_behind_the_inbox() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(4).await;
    let package = followed_by_each(&server, &fleet).await;
    // Host 2 also serves three followers through its shared inbox.
    let shared: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|n| fleet.host(2).follower(n, true))
        .collect();
    server.add_followers(&package, &shared).await;
    fleet.host(0).set(Behaviour::Status(404));
    fleet.host(1).set(Behaviour::Status(410));
    fleet.host(2).set(Behaviour::Status(410));
    let count = || async {
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 7);

    let id = server.publish_post(&package, 1).await;
    // u@0, u@1, u@2 (own inbox), the shared inbox of 2, u@3.
    assert_eq!(server.run_due().await, 5);

    // Gone: u@0, u@1, and everyone behind host 2's shared inbox; u@2 answered 410
    // at its own inbox too. Only u@3 is left.
    assert_eq!(count().await, 1);
    let page = server
        .state
        .store
        .followers_page(package.id, None, 10)
        .await
        .unwrap();
    assert_eq!(page[0].actor_id, fleet.host(3).actor("u"));
    for r in server.reports(&id).await {
        let gone = r.status_code != Some(202);
        assert_eq!(r.action_taken, gone, "{r:?}");
        if gone {
            assert_eq!(r.suggested_action.as_deref(), Some("remove_follower"));
        }
    }
    let removed: Vec<String> = server
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::FollowerRemoved {
                follower,
                reason: "gone",
                package: Some(p),
            } if p == server.state.urls.actor(&package.handle) => Some(follower),
            _ => None,
        })
        .collect();
    assert_eq!(removed.len(), 6, "{removed:?}");
    assert!(
        server
            .state
            .store
            .dead_followers(Some(package.id))
            .await
            .unwrap()
            .is_empty(),
        "acted on: nothing left for an operator to clean up"
    );
    // The next post goes only to the one left.
    fleet.hosts.iter().for_each(|h| h.clear());
    server.publish_post(&package, 2).await;
    assert_eq!(server.run_due().await, 1);
    assert_eq!(fleet.host(3).received().len(), 1);
}

#[tokio::test]
async fn three_403s_within_a_day_flag_the_domain_but_two_do_not() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(403));
    let package = followed_by_each(&server, &fleet).await;
    let flagged = || async { server.state.store.flagged_domains().await.unwrap() };

    for n in 1..=2 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 1);
    }
    assert!(flagged().await.is_empty(), "two 403s are not enough");

    // A day later the first two are outside the window: one more is still only one.
    server.advance_ms(25 * HOUR);
    server.publish_post(&package, 3).await;
    assert_eq!(server.run_due().await, 1);
    assert!(
        flagged().await.is_empty(),
        "403s spread over more than 24 h"
    );

    for n in 4..=5 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 1);
    }
    let domains = flagged().await;
    assert_eq!(domains.len(), 1, "{domains:?}");
    assert_eq!(domains[0].domain, h.host);
    assert!(domains[0].reason.contains("403"), "{}", domains[0].reason);
    assert_eq!(domains[0].flagged_at, server.now());
    let events: Vec<_> = server
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::DomainFlagged { domain, .. } if *domain == h.host))
        .collect();
    assert_eq!(events.len(), 1);
    // The follower is kept: flagging is for an operator to review.
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
async fn three_401s_within_a_day_recommend_rotating_the_key_once() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Status(401));
    let package = followed_by_each(&server, &fleet).await;
    let actor = server.state.urls.actor(&package.handle);
    let recommended = |events: Vec<Event>| {
        events
            .into_iter()
            .filter_map(|e| match e {
                Event::KeyRotationRecommended { actor, refusals } => Some((actor, refusals)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };

    for n in 1..=2 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 1);
    }
    // Each attempt knocked twice (draft-cavage, then RFC 9421) and got 401 twice.
    assert_eq!(h.received().len(), 4);
    assert!(
        recommended(server.events()).is_empty(),
        "two are not enough"
    );

    server.publish_post(&package, 3).await;
    assert_eq!(server.run_due().await, 1);
    assert_eq!(recommended(server.events()), vec![(actor.clone(), 3)]);

    server.publish_post(&package, 4).await;
    assert_eq!(server.run_due().await, 1);
    assert!(
        recommended(server.events()).is_empty(),
        "recommended once, not on every further refusal"
    );
    let failures = server.state.store.failures(Some(&actor), 10).await.unwrap();
    assert_eq!(failures.len(), 4);
    assert!(
        failures
            .iter()
            .all(|r| r.suggested_action.as_deref() == Some("rotate_keys"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_401s_still_recommend_exactly_once() {
    // Eight inboxes refuse the same post at the same moment: the reports land
    // concurrently, and exactly one of them must be counted as the third.
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(8).await;
    fleet
        .hosts
        .iter()
        .for_each(|h| h.set(Behaviour::Status(401)));
    let package = followed_by_each(&server, &fleet).await;
    for n in 1..=2 {
        server.publish_post(&package, n).await;
        assert_eq!(server.run_due().await, 8);
    }
    let recommended = server
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::KeyRotationRecommended { refusals: 3, .. }))
        .count();
    assert_eq!(recommended, 1);
}
