//! How adapters behave when the registry misbehaves or is busy: 429 and 5xx back
//! the shared limiter off, malformed bodies fail only their own check, and a
//! burst of lookups is spaced by the limiter.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{cargo, changed, fast, npm, pkg, settings};
use pkgfed_registries::adapter::{RegistryAdapter, RegistryError, Validators};
use pkgfed_registries::adapters::HttpSettings;
use pkgfed_registries::adapters::npm::{NpmAdapter, NpmConfig};
use pkgfed_registries::fixtures::{Fault, FixtureRegistry};
use pkgfed_registries::{Ecosystem, RateLimiter};

#[tokio::test]
async fn too_many_requests_backs_the_limiter_off_for_retry_after() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let limiter = fast();
    let adapter = npm(&reg, limiter.clone());
    let left_pad = pkg(Ecosystem::Npm, "left-pad");
    reg.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after: Some("1".into()),
        },
    );
    let err = adapter
        .check(&left_pad, &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        RegistryError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    let remaining = limiter.backoff_remaining().unwrap();
    assert!(remaining > Duration::from_millis(500), "{remaining:?}");
    let health = limiter.health();
    assert_eq!((health.requests, health.errors), (1, 1));
    assert!(health.backoff_until_unix.is_some());

    // The next request, even for another package, waits out the back-off.
    changed(
        adapter
            .check(&pkg(Ecosystem::Npm, "request"), &Validators::default())
            .await
            .unwrap(),
    );
    let log = reg.requests();
    assert_eq!((log[0].status, log[1].status), (429, 200));
    let waited = log[1].at - log[0].at;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(limiter.health().last_success_unix.is_some());
}

#[tokio::test]
async fn too_many_requests_without_retry_after_uses_the_default() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let limiter = fast();
    let adapter = npm(&reg, limiter.clone());
    reg.fail_next(1, Fault::TooManyRequests { retry_after: None });
    let err = adapter
        .lookup(&pkg(Ecosystem::Npm, "left-pad"))
        .await
        .unwrap_err();
    assert_eq!(err, RegistryError::RateLimited { retry_after: None });
    let remaining = limiter.backoff_remaining().unwrap();
    assert!(remaining > Duration::from_secs(55), "{remaining:?}");
}

#[tokio::test]
async fn server_errors_are_unavailable_and_back_off() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let limiter = fast();
    let adapter = cargo(&reg, false, limiter.clone());
    let serde = pkg(Ecosystem::Cargo, "serde");
    reg.fail_next(
        1,
        Fault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
    );
    reg.fail_next(
        1,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );
    match adapter
        .check(&serde, &Validators::default())
        .await
        .unwrap_err()
    {
        RegistryError::Unavailable {
            status,
            retry_after,
            ..
        } => assert_eq!(
            (status, retry_after),
            (Some(503), Some(Duration::from_secs(1)))
        ),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    match adapter
        .check(&serde, &Validators::default())
        .await
        .unwrap_err()
    {
        RegistryError::Unavailable {
            status,
            retry_after,
            ..
        } => assert_eq!((status, retry_after), (Some(500), None)),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // Second consecutive failure: a doubled back-off of 2 s.
    let remaining = limiter.backoff_remaining().unwrap();
    assert!(remaining > Duration::from_millis(1500), "{remaining:?}");
    assert_eq!(limiter.health().errors, 2);
    let log = reg.requests();
    assert!(log[1].at - log[0].at >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_malformed_body_fails_only_its_own_check() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let limiter = fast();
    let adapter = npm(&reg, limiter.clone());
    reg.fail_next(1, Fault::Malformed);
    let err = adapter
        .check(&pkg(Ecosystem::Npm, "left-pad"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Malformed { .. }), "{err:?}");
    let (snap, _) = changed(
        adapter
            .check(&pkg(Ecosystem::Npm, "request"), &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(snap.versions.len(), 126);
    assert_eq!(
        limiter.backoff_remaining(),
        None,
        "malformed is not the registry's trouble"
    );

    // An unexpected status is unusable too.
    reg.edit(|r| r.set_raw("/npm/left-pad", 403, "text/plain", b"forbidden"));
    let err = adapter
        .lookup(&pkg(Ecosystem::Npm, "left-pad"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::Malformed { ref reason } if reason.contains("403")),
        "{err:?}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = NpmAdapter::new(NpmConfig {
        url: reg.npm_url(),
        page_template: None,
        limiter: fast(),
        http: HttpSettings {
            max_body_bytes: 4096,
            ..settings()
        },
    })
    .unwrap();
    let err = adapter
        .check(&pkg(Ecosystem::Npm, "request"), &Validators::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::Malformed { ref reason } if reason.contains("4096")),
        "{err:?}"
    );
    assert_eq!(
        adapter.package_page(&pkg(Ecosystem::Npm, "request"), None),
        None
    );
}

#[tokio::test]
async fn an_unreachable_registry_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let limiter = fast();
    let adapter = NpmAdapter::new(NpmConfig {
        url: format!("http://{addr}/npm/").parse().unwrap(),
        page_template: None,
        limiter: limiter.clone(),
        http: settings(),
    })
    .unwrap();
    let err = adapter
        .lookup(&pkg(Ecosystem::Npm, "left-pad"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::Unavailable { status: None, .. }),
        "{err:?}"
    );
    assert!(limiter.backoff_remaining().is_some());
}

#[tokio::test]
async fn concurrent_lookups_share_one_budget() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    // 20 requests at 20 per second: the last starts 19 intervals after the first.
    let limiter = Arc::new(RateLimiter::new(20.0));
    let npm_adapter = Arc::new(npm(&reg, limiter.clone()));
    let cargo_adapter = Arc::new(cargo(&reg, false, limiter.clone()));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let npm_adapter = npm_adapter.clone();
        let cargo_adapter = cargo_adapter.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                npm_adapter.lookup(&pkg(Ecosystem::Npm, "left-pad")).await
            } else {
                cargo_adapter.lookup(&pkg(Ecosystem::Cargo, "log")).await
            }
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_some());
    }
    let mut times: Vec<_> = reg.requests().into_iter().map(|r| r.at).collect();
    times.sort();
    assert_eq!(times.len(), 20);
    let span = times[19] - times[0];
    // 19 × 50 ms = 950 ms, less a little for when each request reached the server.
    assert!(span >= Duration::from_millis(900), "{span:?}");
    assert_eq!(limiter.health().requests, 20);
}
