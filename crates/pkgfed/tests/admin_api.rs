//! The admin API on the real server: the token guard (401, no state change) and
//! every endpoint's answer over delivery state produced by the real worker against
//! inboxes that answer 410 and 503, dead-follower cleanup and flagged domains. The
//! SSE stream and the OpenAPI document are in `admin_events_and_openapi.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::{TestServer, eventually};
use pkgfed::events::Event;
use pkgfed::store::{NewFollower, Package};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// An inbox that answers every POST with `status`; returns its base URL.
async fn inbox_answering(status: StatusCode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().route("/inbox", post(move || async move { status }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// A server after one Create was delivered to a follower whose inbox answers 410
/// (removed by remediation) and one whose host answers 503 (marked unavailable at
/// once: `unavailable_after_days = 0`), so that follower is dead.
struct Scene {
    server: TestServer,
    package: Package,
    activity_id: String,
    gone_host: String,
    down_host: String,
    down_follower: String,
}

async fn scene() -> Scene {
    let server = TestServer::start_with(|c| c.delivery.unavailable_after_days = 0).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let gone = inbox_answering(StatusCode::GONE).await;
    let down = inbox_answering(StatusCode::SERVICE_UNAVAILABLE).await;
    for base in [&gone, &down] {
        let follower = NewFollower {
            actor_id: format!("{base}/users/alice"),
            inbox: format!("{base}/inbox"),
            shared_inbox: None,
            follow_id: format!("{base}/follows/1"),
        };
        server
            .state
            .store
            .add_follower(package.id, &follower)
            .await
            .unwrap();
    }
    let activity_id = format!("{}/activities/1", server.base);
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Create",
        "actor": server.state.urls.actor(&package.handle),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": { "type": "Note", "content": "serde 1.0.300 released" }
    });
    pkgfed::outbound::outbox::publish(&server.state, &package, &activity, Default::default())
        .await
        .unwrap();
    let down_host = down.trim_start_matches("http://").to_owned();
    let store = server.state.store.clone();
    let (id, host) = (activity_id.clone(), down_host.clone());
    eventually("a 410 report and the 503 host marked unavailable", || {
        let (store, id, host) = (store.clone(), id.clone(), host.clone());
        async move {
            let reports = store.reports_for(&id).await.unwrap();
            let hosts = store.hosts(i64::MAX / 2).await.unwrap();
            reports.iter().any(|r| r.status_code == Some(410))
                && hosts.iter().any(|h| h.host == host && h.unavailable)
        }
    })
    .await;
    Scene {
        gone_host: gone.trim_start_matches("http://").to_owned(),
        down_follower: format!("{down}/users/alice"),
        down_host,
        server,
        package,
        activity_id,
    }
}

impl Scene {
    /// Sends an admin request (path under `/api/v1/admin`) with the right token;
    /// returns status and JSON body.
    async fn call(&self, method: &str, path_and_query: &str) -> (u16, Value) {
        let token = self.server.state.admin_token.clone();
        call(
            &self.server,
            method,
            path_and_query,
            Some(&format!("Bearer {token}")),
        )
        .await
    }

    async fn followers(&self) -> u64 {
        self.server
            .state
            .store
            .count_followers(self.package.id)
            .await
            .unwrap()
    }
}

async fn call(
    server: &TestServer,
    method: &str,
    path_and_query: &str,
    authorization: Option<&str>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let url = server.url(&format!("/api/v1/admin{path_and_query}"));
    let mut req = server.client.request(method, url);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test]
async fn every_route_but_the_document_needs_the_token_and_changes_nothing_without_it() {
    let s = scene().await;
    let now = s.server.state.clock.now_ms();
    s.server
        .state
        .store
        .flag_domain("bad.example", "test", now)
        .await
        .unwrap();
    let followers = s.followers().await;
    assert_eq!(
        followers, 1,
        "the 410 follower was removed, the dead one stays"
    );

    let (status, doc) = call(&s.server, "get", "/openapi.json", None).await;
    assert_eq!(status, 200, "the document is public");
    let mut routes = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.clone(), path.clone()));
        }
    }
    // admin_events_and_openapi.rs checks that the document lists every route.
    assert!(routes.len() >= 8, "{routes:?}");

    for (method, path) in routes.iter().filter(|(_, p)| !p.ends_with("openapi.json")) {
        let path = path.replace("{domain}", "bad.example");
        let path = format!("{path}?dry_run=false&id=x");
        for auth in [
            None,
            Some("Bearer wrong-token"),
            Some("Basic YWRtaW46YWRtaW4="),
        ] {
            let mut req = s.server.client.request(
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                s.server.url(&path),
            );
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {path} with {auth:?}");
            let challenge = res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            assert_eq!(
                challenge.contains("invalid_token"),
                auth == Some("Bearer wrong-token"),
                "{challenge}"
            );
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error"]
                    .as_str()
                    .unwrap()
                    .contains("pkgfed admin token")
            );
        }
    }
    assert_eq!(
        s.followers().await,
        followers,
        "cleanup refused: nothing removed"
    );
    let flagged = s.server.state.store.flagged_domains().await.unwrap();
    assert_eq!(flagged.len(), 1, "clear refused: still flagged");
}

#[tokio::test]
async fn activity_status_failures_and_hosts_show_the_delivery_outcomes() {
    let s = scene().await;
    let id = &s.activity_id;

    let (status, v) = s.call("get", &format!("/activities/status?id={id}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["activity_id"], *id);
    assert_eq!(v["kind"], "Create");
    assert!(
        ["pending", "failed"].contains(&v["status"].as_str().unwrap()),
        "{v}"
    );
    let deliveries = v["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2, "{v}");
    let gone = deliveries
        .iter()
        .find(|d| d["inbox"].as_str().unwrap().contains(&s.gone_host))
        .unwrap();
    assert_eq!(gone["state"], "failed");
    assert_eq!(gone["last_status"], 410);
    assert!(
        gone["recipients"][0]
            .as_str()
            .unwrap()
            .ends_with("/users/alice")
    );
    let report = &v["reports"][0];
    assert_eq!(report["result"], "permanent_failure");
    assert_eq!(report["status_code"], 410);
    assert_eq!(report["suggested_action"], "remove_follower");
    assert_eq!(report["action_taken"], true);

    let (status, v) = s
        .call("get", "/activities/status?id=https://x.example/nope")
        .await;
    assert_eq!(status, 404, "{v}");
    let (status, v) = s.call("get", "/activities/status").await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("`id`"), "{v}");

    let actor = s.server.state.urls.actor(&s.package.handle);
    for by in [actor.as_str(), "pkg:cargo/serde", s.package.handle.as_str()] {
        let (status, v) = s
            .call("get", &format!("/deliveries/failures?actor={by}&limit=10"))
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["actor"], actor);
        let failures = v["failures"].as_array().unwrap();
        assert!(failures.iter().any(|f| f["status_code"] == 410), "{v}");
    }
    let (_, v) = s
        .call("get", "/deliveries/failures?actor=https://other.example/a")
        .await;
    assert_eq!(v["failures"], json!([]));
    for (q, want) in [
        ("limit=0", "between 1 and 500"),
        ("limit=501", "between 1 and 500"),
        ("limit=ten", "limit"),
    ] {
        let (status, v) = s.call("get", &format!("/deliveries/failures?{q}")).await;
        assert_eq!(status, 400, "{q}: {v}");
        assert!(v["error"].as_str().unwrap().contains(want), "{q}: {v}");
    }
    let (status, _) = s
        .call("get", "/deliveries/failures?actor=pkg:cargo/nope")
        .await;
    assert_eq!(status, 404);

    let (status, v) = s.call("get", "/hosts").await;
    assert_eq!(status, 200, "{v}");
    let hosts = v["hosts"].as_array().unwrap();
    let host = |name: &str| hosts.iter().find(|h| h["host"] == name).unwrap().clone();
    let down = host(&s.down_host);
    assert_eq!(down["unavailable"], true);
    assert!(down["consecutive_failures"].as_u64().unwrap() >= 1);
    assert!(["closed", "open", "half_open"].contains(&down["circuit"].as_str().unwrap()));
    let gone = host(&s.gone_host);
    assert_eq!(gone["unavailable"], false);
    assert_eq!(gone["circuit"], "closed");
    assert!(v["now"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn dead_followers_are_listed_and_cleanup_dry_run_changes_nothing() {
    let s = scene().await;
    let (status, v) = s
        .call("get", "/followers/dead?package=pkg:cargo/serde")
        .await;
    assert_eq!(status, 200, "{v}");
    let dead = v["dead_followers"].as_array().unwrap();
    assert_eq!(dead.len(), 1, "{v}");
    assert_eq!(dead[0]["actor_id"], s.down_follower);
    assert_eq!(dead[0]["package"], "pkg:cargo/serde");
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("unavailable"),
        "{v}"
    );
    let (status, _) = s
        .call("get", "/followers/dead?package=pkg:cargo/nope")
        .await;
    assert_eq!(status, 404);

    let (status, v) = s
        .call("post", "/followers/dead/cleanup?dry_run=maybe")
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = s.call("post", "/followers/dead/cleanup?dry_run=true").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["removed"], 1);
    assert_eq!(s.followers().await, 1, "dry run removes nothing");

    let mut events = s.server.state.bus.subscribe();
    let (status, v) = s
        .call("post", "/followers/dead/cleanup?package=cargo.serde")
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["dry_run"], false);
    assert_eq!(v["removed"], 1);
    assert_eq!(v["followers"][0]["actor_id"], s.down_follower);
    assert_eq!(s.followers().await, 0);
    let removed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Event::FollowerRemoved {
                follower,
                reason,
                package,
            } = events.recv().await.unwrap()
            {
                return (follower, reason, package);
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(removed.0, s.down_follower);
    assert_eq!(removed.1, "cleanup");
    assert_eq!(
        removed.2,
        Some(s.server.state.urls.actor(&s.package.handle))
    );

    let (_, v) = s.call("get", "/followers/dead").await;
    assert_eq!(v["dead_followers"], json!([]));
    let (_, v) = s.call("post", "/followers/dead/cleanup").await;
    assert_eq!(v["removed"], 0, "nothing left to remove");
}

#[tokio::test]
async fn flagged_domains_are_listed_and_cleared() {
    let server = TestServer::start().await;
    let auth = format!("Bearer {}", server.state.admin_token);
    let now = server.state.clock.now_ms();
    let store = &server.state.store;
    store
        .flag_domain("bad.example", "3 deliveries refused with 403", now)
        .await
        .unwrap();
    store.flag_domain("127.0.0.1:9", "test", now).await.unwrap();

    let (status, v) = call(&server, "get", "/domains/flagged", Some(&auth)).await;
    assert_eq!(status, 200, "{v}");
    let domains: Vec<&str> = v["flagged_domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains.len(), 2, "{v}");
    assert!(domains.contains(&"bad.example"));
    assert_eq!(v["flagged_domains"][0]["flagged_at"], now);

    let (status, v) = call(
        &server,
        "delete",
        "/domains/flagged/Bad.Example",
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v, json!({ "domain": "bad.example", "cleared": true }));
    let (status, v) = call(
        &server,
        "delete",
        "/domains/flagged/bad.example",
        Some(&auth),
    )
    .await;
    assert_eq!(status, 404, "{v}");
    assert!(v["error"].as_str().unwrap().contains("not flagged"), "{v}");
    let (status, _) = call(
        &server,
        "delete",
        "/domains/flagged/127.0.0.1:9",
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200);
    let (_, v) = call(&server, "get", "/domains/flagged", Some(&auth)).await;
    assert_eq!(v["flagged_domains"], json!([]));
}
