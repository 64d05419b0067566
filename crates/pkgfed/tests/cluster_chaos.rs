//! The cluster under failure, as real processes on one PostgreSQL database and the
//! real RabbitMQ (`PKGFED_TEST_POSTGRES_URL`, `PKGFED_TEST_AMQP_URL`; `.ci/run`
//! starts both; under `CI=true` their absence fails the tests).
//!
//! - A fan-out of one Create to 2,000 followers on 200 loopback servers by 2 web and
//!   3 worker processes behind a round-robin balancer: mid-fan-out two workers are
//!   SIGKILLed, one web process too, and the broker is restarted. The third worker
//!   finishes alone, taking over the dead workers' claims once their lease runs out:
//!   every inbox gets the Create, each sees one activity id, and the only repeats are
//!   POSTs the killed workers had in flight (sent, not recorded: at-least-once).
//! - Three releases made due at once while three workers race for the check: each
//!   version is posted exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[allow(dead_code)]
mod broker {
    pub mod support;
}

use std::collections::BTreeSet;
use std::time::Duration;

use broker::support::Outage;
use common::cluster::{Balancer, Cluster, Member, TOKEN, per_inbox, until};
use common::db::{Backend, Raw, TestDb};
use common::fleet::Fleet;
use futures_util::StreamExt;
use pkgfed::store::delivery::ActivityStatus;
use pkgfed_registries::fixtures::FixtureRegistry;

/// Deliveries in flight at once per worker process.
const CONCURRENCY: usize = 8;

/// The cluster's settings: the broker, reconnecting within a second; short request
/// timeouts, so a dead worker's claims (leased for two timeouts + 30 s) run out
/// within the test.
fn new_cluster(dir: &std::path::Path, base: String, db: &TestDb, amqp: &str) -> Cluster {
    let env = [
        ("PKGFED_BROKER_URL", amqp.to_owned()),
        ("PKGFED_BROKER_RECONNECT_MAX_SECONDS", "1".into()),
        ("PKGFED_DELIVERY_CONCURRENCY", CONCURRENCY.to_string()),
        ("PKGFED_DELIVERY_PER_HOST_CONCURRENCY", "2".into()),
        ("PKGFED_FEDERATION_REQUEST_TIMEOUT_SECONDS", "2".into()),
    ];
    Cluster {
        dir: dir.to_owned(),
        base,
        database_url: db.url.clone(),
        env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_two_workers_and_restart_the_broker_mid_fan_out_loses_nothing() {
    let Some((amqp, _one)) = broker::support::broker().await else {
        return;
    };
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let webs = [
        common::process::free_listen(),
        common::process::free_listen(),
    ];
    let balancer = Balancer::start(webs.to_vec()).await;
    let cluster = new_cluster(dir.path(), balancer.base(), &db, &amqp);
    cluster.add_package("pkg:cargo/serde");
    let store = db.open().await;
    let package = store.list_packages(None, 1).await.unwrap().remove(0);

    // 2,000 followers on 200 servers: 20 with ten users at their own inboxes, 180
    // with ten users behind a shared inbox: 380 inboxes.
    let fleet = Fleet::start(200).await;
    // Slow inboxes: the fan-out lasts long enough for the failures to land in it.
    fleet.set_delay(Duration::from_millis(250));
    let mut followers = Vec::new();
    for (i, host) in fleet.hosts.iter().enumerate() {
        followers.extend((0..10).map(|u| host.follower(&format!("u{u}"), i >= 20)));
    }
    let inboxes: BTreeSet<String> = followers
        .iter()
        .map(|f| f.shared_inbox.clone().unwrap_or_else(|| f.inbox.clone()))
        .collect();
    assert_eq!((followers.len(), inboxes.len()), (2000, 380));
    futures_util::stream::iter(&followers)
        .for_each_concurrent(16, |f| {
            let store = store.clone();
            async move {
                assert!(store.add_follower(package.id, f).await.unwrap());
            }
        })
        .await;

    let mut web = [
        cluster.start("web", "web0", Some(webs[0].clone())),
        cluster.start("web", "web1", Some(webs[1].clone())),
    ];
    let mut workers: Vec<Member> = (0..3)
        .map(|i| cluster.start("worker", &format!("worker{i}"), None))
        .collect();
    for w in &workers {
        until(
            "every worker connected to the broker",
            Duration::from_secs(20),
            || async { w.readyz().await.contains("broker: connected") },
        )
        .await;
    }

    let actor = format!("{}/packages/{}", balancer.base(), package.handle);
    let (outbound, audience) = common::manual::queued_post(&actor, &package, 1);
    let id = outbound.activity_id.clone();
    let now = pkgfed::store::now_unix() * 1000;
    let queued = store.publish(&outbound, &audience, now).await.unwrap();
    assert_eq!(queued.deliveries, 380);

    // Mid-fan-out: SIGKILL two workers, then snapshot what the database has in
    // flight — the only deliveries that may have been POSTed without being recorded.
    until("the fan-out to start", Duration::from_secs(60), || async {
        fleet.received().len() >= 60
    })
    .await;
    workers[0].kill();
    workers[1].kill();
    let at_kill = fleet.received().len();
    assert!(at_kill < 380, "the fan-out finished before the kill");
    let raw = Raw::connect(&db).await;
    let in_flight: BTreeSet<String> = raw
        .texts("SELECT inbox FROM deliveries WHERE state = 'in_flight'")
        .await
        .into_iter()
        .collect();
    assert!(in_flight.len() <= 3 * CONCURRENCY, "{in_flight:?}");

    // A web process dies: the balancer's other one serves the actor documents.
    web[1].kill();
    let client = reqwest::Client::new();
    for _ in 0..4 {
        let res = client
            .get(&actor)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "the surviving web process serves");
    }

    // The broker goes away: the last worker keeps delivering from the database and
    // says so in /readyz (still 200), then reconnects when the broker is back.
    let survivor = &workers[2];
    let outage = tokio::task::spawn_blocking(Outage::begin).await.unwrap();
    let during = fleet.received().len();
    let ready = survivor.readyz().await;
    assert!(
        ready.starts_with("200") && ready.contains("broker: disconnected"),
        "{ready}"
    );
    until(
        "deliveries to go on while the broker is down",
        Duration::from_secs(30),
        || async { fleet.received().len() >= (during + 10).min(380) },
    )
    .await;
    tokio::task::spawn_blocking(move || drop(outage))
        .await
        .unwrap();
    until(
        "the worker to reconnect",
        Duration::from_secs(30),
        || async { survivor.readyz().await.contains("broker: connected") },
    )
    .await;

    // The survivor finishes alone, the dead workers' claims once their lease ran out.
    until(
        "every inbox to have the Create",
        Duration::from_secs(90),
        || async { per_inbox(&fleet, "Create").len() == inboxes.len() },
    )
    .await;
    until(
        "the activity to complete",
        Duration::from_secs(30),
        || async {
            store.activity_status(&id).await.unwrap().unwrap().status == ActivityStatus::Completed
        },
    )
    .await;

    let got = per_inbox(&fleet, "Create");
    let missing: Vec<_> = inboxes.iter().filter(|i| !got.contains_key(*i)).collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), inboxes);
    let mut repeats = 0;
    for (inbox, (posts, ids)) in &got {
        assert_eq!(ids.len(), 1, "{inbox} saw several activity ids: {ids:?}");
        assert_eq!(ids.first(), Some(&id));
        if *posts > 1 {
            assert!(
                in_flight.contains(inbox),
                "{inbox} got {posts} POSTs but was not in flight at the kill"
            );
            repeats += posts - 1;
        }
    }
    assert!(
        repeats <= 2 * CONCURRENCY,
        "{repeats} repeats: more than the killed workers had in flight"
    );
    let states = raw.texts("SELECT DISTINCT state FROM deliveries").await;
    assert_eq!(states, ["succeeded"], "every delivery row ends delivered");
    assert!(balancer.served(&webs[0]) > 0 && balancer.served(&webs[1]) > 0);
    let log = survivor.log();
    eprintln!(
        "received before the kill: {at_kill}; in flight at the kill: {}; repeats: {repeats}; \
         connections web0 {} web1 {}",
        in_flight.len(),
        balancer.served(&webs[0]),
        balancer.served(&webs[1]),
    );
    assert!(
        log.contains("returned deliveries whose claim expired"),
        "the dead workers' claims were taken over: {log}"
    );
    web[0].kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_racing_for_one_check_post_each_release_once() {
    let Some((amqp, _one)) = broker::support::broker().await else {
        return;
    };
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    // A slow registry (each request held for half a second): a check takes seconds, so
    // the three workers' turns at the package overlap.
    let slow = Balancer::slow(vec![fixture.addr().to_string()], Duration::from_millis(500)).await;
    let through = |mut url: url::Url| {
        url.set_port(slow.listen.rsplit(':').next().unwrap().parse().ok())
            .unwrap();
        url.to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let web_listen = common::process::free_listen();
    let mut cluster = new_cluster(dir.path(), format!("http://{web_listen}"), &db, &amqp);
    // Checks every second or two: each time the package is due, every worker's
    // registry loop wakes for it and claims.
    for (k, v) in [
        ("PKGFED_CARGO_INDEX_URL", through(fixture.cargo_index_url())),
        ("PKGFED_CARGO_API_URL", through(fixture.cargo_api_url())),
        (
            "PKGFED_CARGO_PAGE_URL",
            "https://registry.test/crates/{name}/{version}".into(),
        ),
        ("PKGFED_CARGO_REQUESTS_PER_SECOND", "200".into()),
        ("PKGFED_WATCH_MIN_INTERVAL_SECONDS", "1".into()),
        ("PKGFED_WATCH_INTERVAL_SECONDS", "1".into()),
        ("PKGFED_WATCH_MAX_INTERVAL_SECONDS", "2".into()),
    ] {
        cluster.env.push((k.into(), v));
    }
    cluster.add_package("pkg:cargo/serde");
    let store = db.open().await;
    let package = store.list_packages(None, 1).await.unwrap().remove(0);
    let actor = format!("{}/packages/{}", cluster.base, package.handle);
    let web = cluster.start("web", "web", Some(web_listen));
    let mut workers = vec![cluster.start("worker", "worker0", None)];

    // Four followers at three inboxes: two users at their own, two behind a shared one.
    let fleet = Fleet::start(2).await;
    for (h, shared) in [(0, false), (1, true)] {
        let host = fleet.host(h);
        for user in ["u0", "u1"] {
            if !shared {
                host.without_shared_inbox(user);
            }
            let follow = host.follow(user, &actor);
            assert_eq!(
                host.post_as(user, &format!("{actor}/inbox"), &follow).await,
                202
            );
        }
    }
    until("the four Accepts", Duration::from_secs(30), || async {
        per_inbox(&fleet, "Accept")
            .values()
            .map(|(n, _)| n)
            .sum::<usize>()
            == 4
    })
    .await;
    until("the baseline check", Duration::from_secs(30), || async {
        store
            .watch(package.id)
            .await
            .unwrap()
            .is_some_and(|w| w.baseline_done)
    })
    .await;
    // Two more workers, which find the package due within a second or two of start.
    workers.push(cluster.start("worker", "worker1", None));
    workers.push(cluster.start("worker", "worker2", None));
    let checks = || {
        fixture
            .requests()
            .iter()
            .filter(|r| r.path.contains("serde"))
            .count()
    };
    let before = checks();
    until(
        "checks after the new workers started",
        Duration::from_secs(30),
        || async { checks() >= before + 3 },
    )
    .await;

    let versions = ["1.0.400", "1.0.401", "1.0.402"];
    fixture.edit(|r| {
        for v in versions {
            r.cargo_publish("serde", v, Some(common::watch::now_unix()));
        }
    });
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/admin/registries/recheck", cluster.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The re-check woke one worker through the registry wake queue; three more wakes
    // (as any AMQP client may publish) go round robin to the others: all three claim
    // at once.
    let amqp_client = broker::support::Client::connect(&amqp).await;
    for _ in 0..3 {
        amqp_client.publish_wake("registry").await;
    }
    until(
        "three Creates at every inbox",
        Duration::from_secs(30),
        || async {
            let got = per_inbox(&fleet, "Create");
            got.len() == 3 && got.values().all(|(n, _)| *n >= 3)
        },
    )
    .await;
    // Several more checks race for the package: nothing is announced again.
    let after = checks();
    until(
        "more checks after the announcement",
        Duration::from_secs(30),
        || async { checks() >= after + 4 },
    )
    .await;
    let raw = Raw::connect(&db).await;
    until(
        "every delivery to be recorded",
        Duration::from_secs(30),
        || async {
            raw.ints(
                "SELECT COUNT(*) FROM deliveries WHERE state <> 'succeeded'",
                &[],
            )
            .await
                == [0]
        },
    )
    .await;

    let got = per_inbox(&fleet, "Create");
    assert_eq!(got.len(), 3, "{got:?}");
    for (inbox, (posts, ids)) in &got {
        assert_eq!((*posts, ids.len()), (3, 3), "{inbox}: {ids:?}");
    }
    let notes: BTreeSet<String> = fleet
        .received()
        .iter()
        .map(|r| r.json())
        .filter(|b| b["type"] == "Create")
        .map(|b| b["object"]["id"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = versions
        .iter()
        .map(|v| format!("{actor}/releases/{v}"))
        .collect();
    assert_eq!(notes, expected);
    let posts = raw
        .texts("SELECT version FROM posts WHERE kind = 'release' ORDER BY version")
        .await;
    assert_eq!(posts, versions, "one post row per version");
    let announced: Vec<usize> = workers
        .iter()
        .map(|w| w.log().matches("releases changed").count())
        .collect();
    assert_eq!(
        announced.iter().sum::<usize>(),
        1,
        "one check announced: {announced:?}"
    );
    drop(web);
}
