//! `/metrics` scraped over HTTP after real traffic: a signed Follow and an unsigned
//! POST to the inbox, GETs, deliveries to a live and a dead inbox, registry checks
//! against the fixture registry. Every series `docs/operations.md` names is present
//! with its labels, and the counters move. The metrics-only listener serves nothing
//! else, and the admin copy needs the token.
//!
//! The recorder is process-wide, so this file is its own test binary and compares
//! counters before and after instead of expecting exact totals.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::HashMap;

use common::watch::{
    add_follower_row, follow_and_wait_for_baseline, now_unix, use_fixture, within_30s,
};
use common::{Peer, TestServer};
use pkgfed_registries::fixtures::FixtureRegistry;

/// Every series of docs/operations.md with the labels each sample must carry.
const SERIES: &[(&str, &[&str])] = &[
    (
        "pkgfed_http_request_duration_seconds_bucket",
        &["route", "method", "status", "le"],
    ),
    (
        "pkgfed_http_request_duration_seconds_count",
        &["route", "method", "status"],
    ),
    (
        "pkgfed_http_request_duration_seconds_sum",
        &["route", "method", "status"],
    ),
    ("pkgfed_inbox_requests_total", &["status"]),
    ("pkgfed_inbound_refused_total", &["reason"]),
    ("pkgfed_deliveries_total", &["class"]),
    ("pkgfed_delivery_queue_depth", &["state"]),
    ("pkgfed_delivery_queue_oldest_due_seconds", &[]),
    ("pkgfed_registry_requests_total", &["registry", "status"]),
    ("pkgfed_watch_tracked_packages", &["registry"]),
    ("pkgfed_watch_backlog", &["registry"]),
    ("pkgfed_watch_erroring_packages", &["registry"]),
    ("pkgfed_watch_overdue_packages", &["registry"]),
    ("pkgfed_watch_last_success_seconds", &["registry"]),
    ("pkgfed_watch_stalled", &["registry"]),
    ("pkgfed_followers", &[]),
    ("pkgfed_packages", &[]),
];

/// Samples by `name{labels}` as rendered (labels in the exporter's order).
struct Scrape {
    samples: HashMap<String, f64>,
    /// (name, label names) of every sample.
    shapes: Vec<(String, Vec<String>)>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut samples = HashMap::new();
        let mut shapes = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let label_names = labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(|l| l.split_once('=').expect("label=value").0.to_owned())
                .collect();
            shapes.push((name.to_owned(), label_names));
            samples.insert(series.to_owned(), value);
        }
        Scrape { samples, shapes }
    }

    /// The value of one sample, 0 when absent.
    fn get(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }
}

async fn scrape(client: &reqwest::Client, url: &str) -> Scrape {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {url}");
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(&res.text().await.unwrap())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn metrics_show_real_traffic_with_every_documented_series() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let metrics_port = free_port();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.packages.ecosystems = vec![pkgfed_registries::Ecosystem::Cargo];
        c.metrics.listen = format!("127.0.0.1:{metrics_port}");
        // Retries of the dead follower stay pending for the whole test.
        c.delivery.circuit_failure_threshold = 100;
    })
    .await;
    let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
    // The server task binds the metrics listener as it starts.
    common::eventually("the metrics listener", || async {
        server.client.get(&metrics_url).send().await.is_ok()
    })
    .await;
    let before = scrape(&server.client, &metrics_url).await;

    // Traffic: a signed Follow (202, Accept delivered), an unsigned POST (401), GETs.
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    peer.wait_for("Accept", |r| r.body["type"] == "Accept")
        .await;
    let inbox = server.url(&format!("/packages/{}/inbox", package.handle));
    let unsigned = server
        .client
        .post(&inbox)
        .header("content-type", "application/activity+json")
        .body(r#"{"type":"Follow"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    for _ in 0..3 {
        server
            .get_json(&format!("/packages/{}", package.handle))
            .await;
    }
    // A follower whose server is down: the next release's delivery to it is retried.
    add_follower_row(&server, package.id, "gone").await;
    fixture.edit(|r| r.cargo_publish("serde", "9.9.9", Some(now_unix())));
    peer.wait_for("the release post", |r| r.body["type"] == "Create")
        .await;

    let retried = r#"pkgfed_deliveries_total{class="retry"}"#;
    // The retry is counted when the attempt is classified and becomes a pending row when
    // the recorder's batch commits just after: wait for both.
    let pending = r#"pkgfed_delivery_queue_depth{state="pending"}"#;
    within_30s("the retry of the dead inbox", || async {
        let now = scrape(&server.client, &metrics_url).await;
        now.get(retried) > before.get(retried) && now.get(pending) >= 1.0
    })
    .await;
    let after = scrape(&server.client, &metrics_url).await;

    for (name, labels) in SERIES {
        let shapes: Vec<_> = after.shapes.iter().filter(|(n, _)| n == name).collect();
        assert!(!shapes.is_empty(), "{name} is missing");
        for (_, got) in shapes {
            let mut got = got.clone();
            let mut want: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "labels of {name}");
        }
    }
    let moved = |series: &str| after.get(series) - before.get(series);
    assert!(moved(r#"pkgfed_inbox_requests_total{status="202"}"#) >= 1.0);
    assert!(moved(r#"pkgfed_inbox_requests_total{status="401"}"#) >= 1.0);
    assert!(
        moved(r#"pkgfed_deliveries_total{class="success"}"#) >= 2.0,
        "Accept and Create"
    );
    assert!(moved(r#"pkgfed_deliveries_total{class="retry"}"#) >= 1.0);
    assert!(
        moved(r#"pkgfed_registry_requests_total{registry="cargo",status="200"}"#) >= 1.0,
        "the baseline check read the index"
    );
    assert!(
        moved(
            r#"pkgfed_http_request_duration_seconds_count{route="/packages/{handle}",method="GET",status="200"}"#
        ) >= 3.0
    );
    assert!(
        moved(
            r#"pkgfed_http_request_duration_seconds_count{route="/packages/{handle}/inbox",method="POST",status="401"}"#
        ) >= 1.0
    );
    assert!(
        after.get(r#"pkgfed_http_request_duration_seconds_bucket{route="/packages/{handle}",method="GET",status="200",le="+Inf"}"#)
            >= 3.0
    );
    assert!(
        after.get(r#"pkgfed_delivery_queue_depth{state="pending"}"#) >= 1.0,
        "the retry waits"
    );
    assert_eq!(after.get("pkgfed_followers"), 2.0);
    assert_eq!(after.get("pkgfed_packages"), 1.0);
    assert_eq!(
        after.get(r#"pkgfed_watch_tracked_packages{registry="cargo"}"#),
        1.0
    );
    assert_eq!(after.get(r#"pkgfed_watch_stalled{registry="cargo"}"#), 0.0);
    assert!(after.get(r#"pkgfed_watch_last_success_seconds{registry="cargo"}"#) > 0.0);
    // Labels name route templates, never raw paths.
    assert!(
        !after.samples.keys().any(|k| k.contains("cargo.serde")),
        "a raw path leaked into a label"
    );

    // The admin copy is the same exporter, behind the token; the public listener
    // has no /metrics and the metrics listener nothing else.
    let admin = server.url("/api/v1/admin/metrics");
    let res = server.client.get(&admin).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = server
        .client
        .get(&admin)
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let admin_scrape = Scrape::parse(&res.text().await.unwrap());
    assert!(admin_scrape.get("pkgfed_followers") == 2.0);
    assert!(
        admin_scrape
            .samples
            .contains_key(r#"pkgfed_inbox_requests_total{status="202"}"#)
    );
    let (status, _, _) = server.get("/metrics", "text/plain").await;
    assert_eq!(status, 404);
    let res = server
        .client
        .get(format!(
            "http://127.0.0.1:{metrics_port}/api/v1/admin/hosts"
        ))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_bad_metrics_listen_address_is_refused_by_name() {
    let mut config = pkgfed::config::Config::default();
    config.server.base_url = "https://pkgs.example.org".into();
    config.metrics.listen = "localhost".into();
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("metrics.listen"), "{err}");
    config.metrics.listen = config.server.listen.clone();
    let err = config.validate().unwrap_err().to_string();
    assert!(err.contains("metrics.listen"), "{err}");
}
