//! The configured registries: one adapter and one shared rate limiter each, built from
//! the settings and shared by the watcher's checks and the lookups that create
//! package actors on first sight.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pkgfed_registries::adapter::RegistryAdapter;
use pkgfed_registries::adapters::HttpSettings;
use pkgfed_registries::adapters::cargo::{CargoAdapter, CargoConfig};
use pkgfed_registries::adapters::feed::{FeedAdapter, FeedConfig};
use pkgfed_registries::adapters::npm::{NpmAdapter, NpmConfig};
use pkgfed_registries::adapters::pypi::{PypiAdapter, PypiApi, PypiConfig};
use pkgfed_registries::{Ecosystem, RateLimiter};

use crate::config::{RegistrySettings, Settings};
use crate::error::{Error, Result};

/// One configured registry.
#[derive(Clone)]
pub struct Registry {
    /// The adapter.
    pub adapter: Arc<dyn RegistryAdapter>,
    /// Its request budget, shared by checks and lazy lookups.
    pub limiter: Arc<RateLimiter>,
    /// Whether it reads a change feed (then packages are polled only for yanks).
    pub feed: bool,
    /// How often the change feed is read.
    pub feed_interval: Duration,
}

/// The registries by ecosystem.
#[derive(Clone, Default)]
pub struct Registries {
    by_ecosystem: HashMap<Ecosystem, Registry>,
}

impl Registries {
    /// Builds an adapter per configured registry.
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        let http = HttpSettings {
            user_agent: settings.watch.user_agent.clone(),
            connect_timeout: settings.fetch.connect_timeout,
            timeout: settings.fetch.timeout.max(Duration::from_secs(30)),
            ..HttpSettings::default()
        };
        let mut by_ecosystem = HashMap::new();
        for r in &settings.watch.registries {
            let bad = |e: pkgfed_registries::adapters::ConfigError| {
                Error::Internal(format!("{} registry: {}", r.ecosystem(), e.0))
            };
            let mut feed_interval = settings.watch.min_interval;
            let (adapter, limiter, feed): (Arc<dyn RegistryAdapter>, _, bool) = match r {
                RegistrySettings::Cargo {
                    index_url,
                    api_url,
                    page_url,
                    requests_per_second,
                } => {
                    let limiter = Arc::new(RateLimiter::new(*requests_per_second));
                    let a = CargoAdapter::new(CargoConfig {
                        index_url: index_url.clone(),
                        api_url: api_url.clone(),
                        page_template: page_url.clone(),
                        limiter: limiter.clone(),
                        api_limiter: None,
                        http: http.clone(),
                    })
                    .map_err(bad)?;
                    (Arc::new(a), limiter, false)
                }
                RegistrySettings::Npm {
                    registry_url,
                    page_url,
                    requests_per_second,
                } => {
                    let limiter = Arc::new(RateLimiter::new(*requests_per_second));
                    let a = NpmAdapter::new(NpmConfig {
                        url: registry_url.clone(),
                        page_template: page_url.clone(),
                        limiter: limiter.clone(),
                        http: http.clone(),
                    })
                    .map_err(bad)?;
                    (Arc::new(a), limiter, false)
                }
                RegistrySettings::Generic {
                    feeds,
                    page_url,
                    requests_per_second,
                } => {
                    let limiter = Arc::new(RateLimiter::new(*requests_per_second));
                    let a = FeedAdapter::new(FeedConfig {
                        ecosystem: Ecosystem::Generic,
                        feeds: feeds.clone(),
                        page_template: page_url.clone(),
                        limiter: limiter.clone(),
                        http: http.clone(),
                    })
                    .map_err(bad)?;
                    (Arc::new(a), limiter, false)
                }
                RegistrySettings::Pypi {
                    url,
                    simple_url,
                    simple,
                    updates_feed_url,
                    updates_feed_interval,
                    page_url,
                    requests_per_second,
                } => {
                    feed_interval = *updates_feed_interval;
                    let limiter = Arc::new(RateLimiter::new(*requests_per_second));
                    let a = PypiAdapter::new(PypiConfig {
                        url: url.clone(),
                        simple_url: simple_url.clone(),
                        api: if *simple {
                            PypiApi::Simple
                        } else {
                            PypiApi::Json
                        },
                        updates_feed: updates_feed_url.clone(),
                        page_template: page_url.clone(),
                        limiter: limiter.clone(),
                        http: http.clone(),
                    })
                    .map_err(bad)?;
                    (Arc::new(a), limiter, updates_feed_url.is_some())
                }
            };
            by_ecosystem.insert(
                r.ecosystem(),
                Registry {
                    adapter,
                    limiter,
                    feed,
                    feed_interval,
                },
            );
        }
        Ok(Self { by_ecosystem })
    }

    /// The registry of an ecosystem, when configured.
    pub fn get(&self, ecosystem: Ecosystem) -> Option<&Registry> {
        self.by_ecosystem.get(&ecosystem)
    }

    /// Every configured registry, in ecosystem order.
    pub fn all(&self) -> Vec<(Ecosystem, &Registry)> {
        let mut v: Vec<_> = self.by_ecosystem.iter().map(|(e, r)| (*e, r)).collect();
        v.sort_by_key(|(e, _)| *e);
        v
    }
}
