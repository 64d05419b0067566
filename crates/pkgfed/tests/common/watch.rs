//! Test support for registry watching: a fixture registry wired into the server's
//! configuration, and waits with a longer horizon than `eventually` (checks run on
//! whole-second intervals).
#![allow(dead_code)]

use std::time::Duration;

use pkgfed::config::Config;
use pkgfed_registries::fixtures::FixtureRegistry;

/// Points every registry of `config` at `fixture`, with 1-second intervals and a
/// generous rate limit.
pub fn use_fixture(config: &mut Config, fixture: &FixtureRegistry) {
    config.cargo.index_url = fixture.cargo_index_url().to_string();
    config.cargo.api_url = fixture.cargo_api_url().to_string();
    config.cargo.page_url = "https://registry.test/crates/{name}/{version}".into();
    config.cargo.requests_per_second = 200.0;
    config.npm.registry_url = fixture.npm_url().to_string();
    config.npm.page_url = "https://npm.test/package/{name}/v/{version}".into();
    config.npm.requests_per_second = 200.0;
    config.pypi.url = fixture.pypi_url().to_string();
    config.pypi.page_url = "https://pypi.test/project/{name}/{version}/".into();
    config.pypi.requests_per_second = 200.0;
    config.watch.min_interval_seconds = 1;
    config.watch.interval_seconds = 1;
    config.watch.max_interval_seconds = 2;
}

/// Waits until `cond` holds, polling every 50 ms; panics with `what` after 30 s.
pub async fn within_30s<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after 30 s waiting for: {what}");
}

/// Unix seconds now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Has `alice` of `peer` follow `package` and waits for its baseline check.
pub async fn follow_and_wait_for_baseline(
    server: &super::TestServer,
    peer: &super::Peer,
    package: &pkgfed::store::Package,
) {
    let actor = server.url(&format!("/packages/{}", package.handle));
    let follow = peer.follow("alice", &actor);
    let (status, body) = peer.post("alice", &format!("{actor}/inbox"), &follow).await;
    assert_eq!(status, 202, "{body}");
    baseline(server, package).await;
}

/// Waits until `package`'s first check (the baseline) is recorded.
pub async fn baseline(server: &super::TestServer, package: &pkgfed::store::Package) {
    let store = server.state.store.clone();
    let id = package.id;
    within_30s("the baseline check", || async {
        store
            .watch(id)
            .await
            .unwrap()
            .is_some_and(|w| w.baseline_done)
    })
    .await;
}

/// The package with this handle (created on lookup before).
pub async fn package(server: &super::TestServer, handle: &str) -> pkgfed::store::Package {
    server
        .state
        .store
        .package_by_handle(handle)
        .await
        .unwrap()
        .expect("the package exists")
}

/// Records a follower `user` (on an unreachable loopback port: deliveries to it fail
/// quietly) for `package`, as a Follow would, and wakes the watcher.
pub async fn add_follower_row(server: &super::TestServer, package_id: i64, user: &str) {
    let follower = pkgfed::store::NewFollower {
        actor_id: format!("http://127.0.0.1:9/users/{user}"),
        inbox: format!("http://127.0.0.1:9/users/{user}/inbox"),
        shared_inbox: None,
        follow_id: format!("http://127.0.0.1:9/follows/{user}/{package_id}"),
    };
    server
        .state
        .store
        .add_follower(package_id, &follower)
        .await
        .unwrap();
    server.state.watch_wake.notify_one();
}

/// The bodies of what `peer` received of type `kind`, each checked to be verified.
pub fn received_of_type(peer: &super::Peer, kind: &str) -> Vec<serde_json::Value> {
    peer.received()
        .into_iter()
        .filter(|r| r.body["type"] == kind)
        .map(|r| {
            assert!(r.verified.is_ok(), "unverified {kind}: {:?}", r.verified);
            r.body
        })
        .collect()
}

/// `GET /api/v1/admin/<path>` with the admin token; asserts 200 and returns the body.
pub async fn admin_get(server: &super::TestServer, path: &str) -> String {
    let res = server
        .client
        .get(server.url(&format!("/api/v1/admin/{path}")))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET /api/v1/admin/{path}");
    res.text().await.unwrap()
}

/// One registry's entry of `GET /api/v1/admin/registries`.
pub async fn registry_health(server: &super::TestServer, ecosystem: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(&admin_get(server, "registries").await).unwrap();
    v["registries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ecosystem"] == ecosystem)
        .unwrap_or_else(|| panic!("no {ecosystem} registry in {v}"))
        .clone()
}
