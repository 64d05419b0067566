//! Shared set-up of the adapter tests: adapters pointed at a fixture registry.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use pkgfed_registries::adapter::{CheckOutcome, Snapshot, Validators, VersionInfo};
use pkgfed_registries::adapters::HttpSettings;
use pkgfed_registries::adapters::cargo::{CargoAdapter, CargoConfig};
use pkgfed_registries::adapters::npm::{NpmAdapter, NpmConfig};
use pkgfed_registries::adapters::pypi::{PypiAdapter, PypiApi, PypiConfig};
use pkgfed_registries::fixtures::FixtureRegistry;
use pkgfed_registries::{Ecosystem, PackageId, RateLimiter};

pub const USER_AGENT: &str = "pkgfed-tests/0.1 (+mailto:someone@example.invalid)";

pub fn settings() -> HttpSettings {
    HttpSettings {
        user_agent: USER_AGENT.into(),
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        ..HttpSettings::default()
    }
}

/// A limiter fast enough not to slow tests down.
pub fn fast() -> Arc<RateLimiter> {
    Arc::new(RateLimiter::new(1000.0))
}

pub fn cargo(reg: &FixtureRegistry, with_api: bool, limiter: Arc<RateLimiter>) -> CargoAdapter {
    CargoAdapter::new(CargoConfig {
        index_url: reg.cargo_index_url(),
        api_url: with_api.then(|| reg.cargo_api_url()),
        page_template: Some("https://cargo.test/crates/{name}/{version}".into()),
        limiter,
        api_limiter: None,
        http: settings(),
    })
    .unwrap()
}

pub fn npm(reg: &FixtureRegistry, limiter: Arc<RateLimiter>) -> NpmAdapter {
    NpmAdapter::new(NpmConfig {
        url: reg.npm_url(),
        page_template: Some("https://npm.test/package/{name}/v/{version}".into()),
        limiter,
        http: settings(),
    })
    .unwrap()
}

pub fn pypi(reg: &FixtureRegistry, api: PypiApi, with_feed: bool) -> PypiAdapter {
    PypiAdapter::new(PypiConfig {
        url: reg.pypi_url(),
        simple_url: Some(reg.pypi_simple_url()),
        api,
        updates_feed: with_feed.then(|| reg.pypi_updates_url()),
        page_template: Some("https://pypi.test/project/{name}/{version}/".into()),
        limiter: fast(),
        http: settings(),
    })
    .unwrap()
}

pub fn pkg(eco: Ecosystem, name: &str) -> PackageId {
    PackageId::new(eco, name).unwrap()
}

/// The snapshot and validators of a `Changed` outcome.
pub fn changed(outcome: CheckOutcome) -> (Snapshot, Validators) {
    match outcome {
        CheckOutcome::Changed {
            snapshot,
            validators,
        } => (snapshot, validators),
        CheckOutcome::NotModified => panic!("expected a changed snapshot, got NotModified"),
    }
}

pub fn version<'a>(snapshot: &'a Snapshot, v: &str) -> &'a VersionInfo {
    snapshot
        .versions
        .iter()
        .find(|x| x.version == v)
        .unwrap_or_else(|| panic!("no version {v}"))
}

pub fn yanked(snapshot: &Snapshot) -> Vec<String> {
    let mut v: Vec<String> = snapshot
        .versions
        .iter()
        .filter(|v| v.yanked)
        .map(|v| v.version.clone())
        .collect();
    v.sort();
    v
}
