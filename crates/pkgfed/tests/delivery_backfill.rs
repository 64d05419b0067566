//! Backfill: a new follower receives the package's most recent posts (default 3),
//! oldest first, paced, after the Accept, addressed to it alone.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::Fleet;
use pkgfed::events::Event;

const PACING: i64 = 2000;

#[tokio::test]
async fn a_new_follower_gets_the_three_latest_posts_oldest_first() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(2).await;
    let (new, old) = (fleet.host(0), fleet.host(1));
    let package = server.add_package("pkg:cargo/serde").await;
    let actor = server.state.urls.actor(&package.handle);
    // Five posts, delivered to an existing follower (sharing its host's inbox).
    server
        .add_followers(&package, &[old.follower("bob", true)])
        .await;
    let mut posts = Vec::new();
    for n in 1..=5 {
        posts.push(server.publish_post(&package, n).await);
    }
    assert_eq!(server.run_due().await, 5);
    old.clear();
    server.events();

    // carol follows; her actor advertises a shared inbox, yet the backfill is for her
    // alone, at her own inbox.
    let follow = new.follow("carol", &actor);
    assert_eq!(
        new.post_as("carol", &format!("{actor}/inbox"), &follow)
            .await,
        202
    );
    assert!(server.events().contains(&Event::BackfillRequested {
        package: actor.clone(),
        follower: new.actor("carol"),
        posts: 3,
    }));

    // The Accept first, alone.
    assert_eq!(server.run_due().await, 1);
    assert_eq!(new.received()[0].json()["type"], "Accept");
    // Then one post per pacing interval: 3, 4, 5.
    for (i, expected) in posts[2..].iter().enumerate() {
        server.advance_ms(PACING - 1);
        assert_eq!(server.run_due().await, 0, "paced");
        server.advance_ms(1);
        assert_eq!(server.run_due().await, 1);
        let got = new.received();
        let r = &got[i + 1];
        assert_eq!(&r.id(), expected, "oldest first");
        assert_eq!(r.path, "/users/carol/inbox");
        assert_eq!(r.verified, Ok(format!("{actor}#main-key")));
        // The original activity, unchanged.
        assert_eq!(r.json(), common::manual::post(&actor, i as u32 + 3));
    }
    server.advance_ms(3600 * 1000);
    assert_eq!(server.run_due().await, 0);
    assert_eq!(new.received().len(), 4, "Accept and three posts");
    assert!(old.received().is_empty(), "nothing for the other followers");

    // Following again (a new Follow id) is answered, but not backfilled twice.
    let again = new.follow("carol", &actor);
    assert_eq!(
        new.post_as("carol", &format!("{actor}/inbox"), &again)
            .await,
        202
    );
    server.advance_ms(60 * 1000);
    assert_eq!(server.run_due().await, 1);
    let last = new.received().pop().unwrap().json();
    assert_eq!(
        (last["type"].as_str(), &last["object"]["id"]),
        (Some("Accept"), &again["id"])
    );
}

#[tokio::test]
async fn backfill_count_is_configurable_and_zero_disables_it() {
    for (count, expected) in [(1u32, vec![2u32]), (0, vec![])] {
        let server = TestServer::start_manual_with(|c| {
            c.delivery.backfill_count = count;
            c.delivery.backfill_pacing_ms = 10;
        })
        .await;
        let fleet = Fleet::start(1).await;
        let h = fleet.host(0);
        let package = server.add_package("pkg:npm/left-pad").await;
        let actor = server.state.urls.actor(&package.handle);
        for n in 1..=2 {
            server.publish_post(&package, n).await;
        }
        let follow = h.follow("dan", &actor);
        assert_eq!(
            h.post_as("dan", &format!("{actor}/inbox"), &follow).await,
            202
        );
        server.advance_ms(1000);
        server.run_due().await;
        let posts: Vec<String> = h
            .received()
            .iter()
            .filter(|r| r.json()["type"] == "Create")
            .map(|r| r.id())
            .collect();
        let expected: Vec<String> = expected
            .iter()
            .map(|n| {
                common::manual::post(&actor, *n)["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(posts, expected, "backfill_count = {count}");
    }
}
