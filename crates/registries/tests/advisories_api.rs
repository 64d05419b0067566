//! The OSV API source against the loopback fixture OSV API: single and batch
//! queries, pages, incremental polling (new, modified, withdrawn, removed),
//! and rate limiting.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{fast, settings};
use pkgfed_registries::adapter::RegistryError;
use pkgfed_registries::advisories::{
    AdvisoryError, ApiState, OsvApiConfig, OsvApiSource, affects, is_affected,
};
use pkgfed_registries::fixtures::{Fault, FixtureRegistry};
use pkgfed_registries::{Ecosystem, PackageId, RateLimiter};
use serde_json::{Value, json};

fn pkg(eco: Ecosystem, name: &str) -> PackageId {
    PackageId::new(eco, name).unwrap()
}

fn fixture_record(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/advisories/osv")
        .join(rel);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A fixture registry serving the fixture OSV records.
async fn registry() -> FixtureRegistry {
    let reg = FixtureRegistry::start().await.unwrap();
    reg.edit(|e| {
        for rel in [
            "cargo/GHSA-4r6h-8v6p-xvw6.json",
            "npm/GHSA-2c5x-q9wm-f8hj.json",
            "pypi/PYSEC-2099-17.json",
            "pypi/PYSEC-2099-18.json",
        ] {
            e.osv_put(fixture_record(rel));
        }
    });
    reg
}

fn source(reg: &FixtureRegistry, limiter: Arc<RateLimiter>, batch_size: usize) -> OsvApiSource {
    let mut config = OsvApiConfig::new(reg.osv_url());
    config.http = settings();
    config.batch_size = batch_size;
    OsvApiSource::new(&config, limiter).unwrap()
}

fn tracked() -> Vec<PackageId> {
    vec![
        pkg(Ecosystem::Cargo, "hyper"),
        pkg(Ecosystem::Npm, "left-pad"),
        pkg(Ecosystem::Npm, "@sindresorhus/is"),
        pkg(Ecosystem::Pypi, "Requests"),
        pkg(Ecosystem::Pypi, "urllib3"),
        pkg(Ecosystem::Cargo, "serde"),
        pkg(Ecosystem::Generic, "some-project"),
    ]
}

#[tokio::test]
async fn single_query_returns_full_records() {
    let reg = registry().await;
    let api = source(&reg, fast(), 1000);
    let left_pad = pkg(Ecosystem::Npm, "left-pad");
    let found = api.query(&left_pad).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "GHSA-2c5x-q9wm-f8hj");
    assert!(is_affected(&found[0], &left_pad, "1.3.0"));
    // Named only by purl in the record.
    let is = api
        .query(&pkg(Ecosystem::Npm, "@sindresorhus/is"))
        .await
        .unwrap();
    assert_eq!(is.len(), 1);
    assert!(
        api.query(&pkg(Ecosystem::Cargo, "serde"))
            .await
            .unwrap()
            .is_empty()
    );
    // Generic projects have no OSV ecosystem: no request at all.
    let before = reg.request_count();
    assert!(
        api.query(&pkg(Ecosystem::Generic, "some-project"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(reg.request_count(), before);

    let log = reg.requests();
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/osv/v1/query");
    assert_eq!(log[0].user_agent.as_deref(), Some(common::USER_AGENT));
    let body: Value = serde_json::from_slice(&log[0].body).unwrap();
    assert_eq!(
        body,
        json!({"package": {"name": "left-pad", "ecosystem": "npm"}})
    );
}

#[tokio::test]
async fn batch_queries_in_chunks_and_pages() {
    let reg = registry().await;
    let packages = tracked();
    let api = source(&reg, fast(), 1000);
    let lists = api.query_batch(&packages).await.unwrap();
    let ids: Vec<Vec<&str>> = lists
        .iter()
        .map(|l| l.iter().map(|v| v.id.as_str()).collect())
        .collect();
    assert_eq!(
        ids,
        [
            vec!["GHSA-4r6h-8v6p-xvw6"],
            vec!["GHSA-2c5x-q9wm-f8hj"],
            vec!["GHSA-2c5x-q9wm-f8hj"],
            vec!["PYSEC-2099-17"],
            vec!["PYSEC-2099-18"],
            vec![],
            vec![],
        ]
    );
    assert_eq!(
        lists[0][0].modified.unwrap().to_rfc3339(),
        "2099-02-10T12:30:00Z"
    );
    assert_eq!(reg.count_method("POST", "/osv/v1/querybatch"), 1);
    let body: Value = serde_json::from_slice(&reg.requests()[0].body).unwrap();
    assert_eq!(
        body["queries"].as_array().unwrap().len(),
        6,
        "no generic query"
    );
    assert_eq!(
        body["queries"][0],
        json!({"package": {"name": "hyper", "ecosystem": "crates.io"}})
    );

    // Batches of 2: three requests for the six queryable packages.
    reg.clear_requests();
    let small = source(&reg, fast(), 2);
    assert_eq!(small.query_batch(&packages).await.unwrap(), lists);
    assert_eq!(reg.count_method("POST", "/osv/v1/querybatch"), 3);

    // Pages of one record: left-pad gets a second advisory on a second page.
    let mut extra = fixture_record("npm/GHSA-2c5x-q9wm-f8hj.json");
    extra["id"] = json!("GHSA-9999-8888-7777");
    reg.edit(|e| {
        e.osv_put(extra);
        e.osv_set_page_size(Some(1));
    });
    reg.clear_requests();
    let lists = api.query_batch(&packages).await.unwrap();
    let left_pad: Vec<&str> = lists[1].iter().map(|v| v.id.as_str()).collect();
    assert_eq!(left_pad, ["GHSA-2c5x-q9wm-f8hj", "GHSA-9999-8888-7777"]);
    assert_eq!(reg.count_method("POST", "/osv/v1/querybatch"), 2);
    let second: Value = serde_json::from_slice(&reg.requests()[1].body).unwrap();
    assert_eq!(second["queries"].as_array().unwrap().len(), 2);
    assert_eq!(second["queries"][0]["page_token"], "1");
    // The single query follows pages too.
    let full = api.query(&pkg(Ecosystem::Npm, "left-pad")).await.unwrap();
    assert_eq!(full.len(), 2);
}

#[tokio::test]
async fn polling_reports_new_modified_withdrawn_and_gone_once() {
    let reg = registry().await;
    let packages = tracked();
    let api = source(&reg, fast(), 1000);
    let mut state = ApiState::default();

    let first = api.poll(&packages, &mut state).await.unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let mut ids: Vec<&str> = first.changed.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "GHSA-2c5x-q9wm-f8hj",
            "GHSA-4r6h-8v6p-xvw6",
            "PYSEC-2099-17",
            "PYSEC-2099-18"
        ]
    );
    // Each record fetched once although two packages list the npm one.
    assert_eq!(
        reg.count_method("GET", "/osv/v1/vulns/GHSA-2c5x-q9wm-f8hj"),
        1
    );
    assert_eq!(state.known.len(), 4);
    assert_eq!(state.known["GHSA-2c5x-q9wm-f8hj"].packages.len(), 2);

    // Nothing changed: one batch query, no record fetched. A restart from the
    // persisted state behaves the same.
    let mut restarted: ApiState =
        serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    reg.clear_requests();
    let quiet = api.poll(&packages, &mut restarted).await.unwrap();
    assert!(quiet.changed.is_empty() && quiet.gone.is_empty() && quiet.errors.is_empty());
    assert_eq!(reg.request_count(), 1);
    assert_eq!(restarted, state);

    // Modified and withdrawn records are fetched again; a removed one is gone.
    reg.edit(|e| {
        assert!(e.osv_modify("PYSEC-2099-17", 4_100_000_000, |r| {
            r["summary"] = json!("Proxy-Authorization leak (updated)");
        }));
        assert!(e.osv_withdraw("GHSA-4r6h-8v6p-xvw6", 4_100_000_100));
        assert!(e.osv_remove("GHSA-2c5x-q9wm-f8hj"));
    });
    reg.clear_requests();
    let next = api.poll(&packages, &mut state).await.unwrap();
    let changed: Vec<(&str, bool)> = next
        .changed
        .iter()
        .map(|a| (a.id.as_str(), a.is_withdrawn()))
        .collect();
    assert_eq!(
        changed,
        [("GHSA-4r6h-8v6p-xvw6", true), ("PYSEC-2099-17", false)]
    );
    assert_eq!(
        next.changed[1].summary.as_deref(),
        Some("Proxy-Authorization leak (updated)")
    );
    assert!(!affects(&next.changed[0], &pkg(Ecosystem::Cargo, "hyper")));
    assert_eq!(next.gone, ["GHSA-2c5x-q9wm-f8hj"]);
    assert_eq!(reg.count_method("GET", "/osv/v1/vulns/PYSEC-2099-18"), 0);
    assert_eq!(state.known.len(), 3);

    // An advisory listed for a package that was not queried this time is
    // not gone.
    let only_cargo = vec![pkg(Ecosystem::Cargo, "hyper")];
    let partial = api.poll(&only_cargo, &mut state).await.unwrap();
    assert!(partial.gone.is_empty() && partial.changed.is_empty());
    assert_eq!(state.known.len(), 3);
}

#[tokio::test]
async fn rate_limits_and_failures_back_the_limiter_off() {
    let reg = registry().await;
    let limiter = fast();
    let api = source(&reg, limiter.clone(), 1000);
    let packages = tracked();
    let mut state = ApiState::default();

    reg.fail_next(
        1,
        Fault::TooManyRequests {
            retry_after: Some("1".into()),
        },
    );
    let err = api.poll(&packages, &mut state).await.unwrap_err();
    assert_eq!(
        err,
        AdvisoryError::Http(RegistryError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        })
    );
    assert!(state.known.is_empty(), "a failed batch leaves the state");
    assert!(limiter.backoff_remaining().unwrap() > Duration::from_millis(500));

    // The next request waits out the back-off.
    let ok = api.query_batch(&packages).await.unwrap();
    assert_eq!(ok.len(), packages.len());
    let log = reg.requests();
    assert!(log[1].at - log[0].at >= Duration::from_millis(900));

    // A record fetch that fails with a 503 stops the poll, which returns
    // what it has.
    reg.edit(|e| {
        e.set_raw(
            "/osv/v1/vulns/GHSA-4r6h-8v6p-xvw6",
            503,
            "text/plain",
            b"busy",
        )
    });
    let mut state = ApiState::default();
    let poll = api.poll(&packages, &mut state).await.unwrap();
    // Records are fetched in id order: GHSA-2c5x… first, then GHSA-4r6h… fails
    // and stops the poll.
    let ids: Vec<&str> = poll.changed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["GHSA-2c5x-q9wm-f8hj"]);
    assert!(matches!(
        poll.errors[..],
        [AdvisoryError::Http(RegistryError::Unavailable {
            status: Some(503),
            ..
        })]
    ));
    assert_eq!(state.known.len(), 1, "only what was returned is remembered");
    assert!(limiter.backoff_remaining().is_some());

    // Once the record is served again, the next poll picks up the rest.
    reg.edit(|e| {
        e.set_raw(
            "/osv/v1/vulns/GHSA-4r6h-8v6p-xvw6",
            200,
            "application/json",
            &serde_json::to_vec(&fixture_record("cargo/GHSA-4r6h-8v6p-xvw6.json")).unwrap(),
        )
    });
    let rest = api.poll(&packages, &mut state).await.unwrap();
    let mut ids: Vec<&str> = rest.changed.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["GHSA-4r6h-8v6p-xvw6", "PYSEC-2099-17", "PYSEC-2099-18"]
    );
    assert_eq!(state.known.len(), 4);
}

#[tokio::test]
async fn bad_configuration_and_bad_answers() {
    let reg = registry().await;
    let mut config = OsvApiConfig::new(reg.osv_url());
    config.batch_size = 0;
    assert!(OsvApiSource::new(&config, fast()).is_err());
    let config = OsvApiConfig::new("mailto:someone@example.invalid".parse().unwrap());
    assert!(OsvApiSource::new(&config, fast()).is_err());

    let api = source(&reg, fast(), 1000);
    assert_eq!(api.get("GHSA-none-none-none").await.unwrap(), None);
    reg.edit(|e| {
        e.set_raw(
            "/osv/v1/querybatch",
            200,
            "application/json",
            br#"{"results": [{"vulns": [{"id": "X", "modified": "not a date"}]}]}"#,
        )
    });
    match api.query_batch(&tracked()[..1]).await.unwrap_err() {
        AdvisoryError::Invalid { file, field, .. } => {
            assert!(file.ends_with("/osv/v1/querybatch"), "{file}");
            assert_eq!(field, "results[0].vulns[0].modified");
        }
        other => panic!("{other:?}"),
    }
    // A result count that does not match the queries.
    reg.edit(|e| {
        e.set_raw(
            "/osv/v1/querybatch",
            200,
            "application/json",
            br#"{"results": [{}]}"#,
        )
    });
    match api.query_batch(&tracked()[..2]).await.unwrap_err() {
        AdvisoryError::Http(RegistryError::Malformed { reason }) => {
            assert!(reason.contains("1 results to 2 queries"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}
