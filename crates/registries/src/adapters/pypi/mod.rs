//! The PyPI adapter: a PyPI-style registry's JSON API or Simple API (JSON form),
//! and optionally its registry-wide RSS feed of recent releases as a change feed.
//!
//! Both APIs are addressed by the PEP 503 normalised name ([`PackageId::key`]), so
//! `Requests` and `zope.interface` are asked for as `requests` and
//! `zope-interface`. A version's yank is per file on PyPI: pkgfed calls a version
//! yanked when every one of its files is. A release without files (some old
//! projects have them) is listed, never yanked and without a time.
//!
//! - [`PypiApi::Json`] (`{url}/pypi/{name}/json`) also gives the summary, licence
//!   and project URLs.
//! - [`PypiApi::Simple`] (`{simple_url}/{name}/`, `application/vnd.pypi.simple.v1+json`)
//!   is the installers' API: lighter, cached harder, but without metadata beyond
//!   the name. Versions come from its `versions` key, or from file names.
//!
//! The change feed ([`updates`]) tells which packages released lately; it does not
//! show yanks, so the watcher still polls tracked packages, at a slower rate.

pub(crate) mod json_api;
pub(crate) mod simple;
pub(crate) mod updates;

mod files;

use std::sync::Arc;

use url::Url;

use super::http::{Fetched, HttpClient, HttpSettings};
use super::{ConfigError, check_base, render_page, url_below};
use crate::adapter::{
    ChangeBatch, CheckOutcome, PackageMetadata, RegistryAdapter, RegistryError, Snapshot,
    Validators,
};
use crate::{Ecosystem, PackageId, RateLimiter};

pub use simple::version_from_filename;

/// Which of the registry's per-project APIs to poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PypiApi {
    /// The JSON API: versions, times, yanks and metadata.
    #[default]
    Json,
    /// The Simple API in its JSON form: versions, times and yanks only.
    Simple,
}

/// Configuration of a [`PypiAdapter`].
#[derive(Clone, Debug)]
pub struct PypiConfig {
    /// Base URL of the registry; the JSON API is at `{url}/pypi/{name}/json`.
    pub url: Url,
    /// Base URL of the Simple API; `None` means `{url}/simple`.
    pub simple_url: Option<Url>,
    /// Which API [`check`](RegistryAdapter::check) and
    /// [`lookup`](RegistryAdapter::lookup) use.
    pub api: PypiApi,
    /// The registry-wide RSS feed of recent releases (on PyPI itself,
    /// `{url}/rss/updates.xml`); `None` disables the change feed.
    pub updates_feed: Option<Url>,
    /// Package page template with `{name}` and `{version}` placeholders.
    pub page_template: Option<String>,
    /// The registry's request budget.
    pub limiter: Arc<RateLimiter>,
    /// User agent, timeouts and body limit.
    pub http: HttpSettings,
}

/// Follows Python projects (see the module docs).
#[derive(Debug)]
pub struct PypiAdapter {
    url: Url,
    simple_url: Url,
    api: PypiApi,
    updates_feed: Option<Url>,
    page_template: Option<String>,
    http: HttpClient,
}

/// The Accept header of the Simple API's JSON form.
const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

impl PypiAdapter {
    /// Builds the adapter; fails on unusable base URLs or HTTP settings.
    pub fn new(config: PypiConfig) -> Result<Self, ConfigError> {
        check_base("pypi url", &config.url)?;
        let simple_url = match config.simple_url {
            Some(u) => u,
            None => url_below(&config.url, "simple/")
                .map_err(|e| ConfigError(format!("pypi url: {e}")))?,
        };
        check_base("pypi simple_url", &simple_url)?;
        if let Some(feed) = &config.updates_feed {
            check_base("pypi updates_feed", feed)?;
        }
        Ok(PypiAdapter {
            http: HttpClient::new(&config.http, config.limiter)?,
            url: config.url,
            simple_url,
            api: config.api,
            updates_feed: config.updates_feed,
            page_template: config.page_template,
        })
    }

    /// The request URL and Accept header of a project under the configured API.
    fn project_request(&self, package: &PackageId) -> Result<(Url, &'static str), RegistryError> {
        let key = package.key();
        match self.api {
            PypiApi::Json => Ok((
                url_below(&self.url, &format!("pypi/{key}/json"))?,
                "application/json",
            )),
            PypiApi::Simple => Ok((
                url_below(&self.simple_url, &format!("{key}/"))?,
                SIMPLE_JSON,
            )),
        }
    }

    fn parse(&self, bytes: &[u8], package: &PackageId) -> Result<Snapshot, RegistryError> {
        match self.api {
            PypiApi::Json => json_api::parse(bytes, package),
            PypiApi::Simple => simple::parse(bytes, package),
        }
    }
}

#[async_trait::async_trait]
impl RegistryAdapter for PypiAdapter {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Pypi
    }

    async fn check(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<CheckOutcome, RegistryError> {
        let (url, accept) = self.project_request(package)?;
        match self
            .http
            .get(&url, validators, accept, package.name())
            .await?
        {
            Fetched::NotModified => Ok(CheckOutcome::NotModified),
            Fetched::Body { bytes, validators } => Ok(CheckOutcome::Changed {
                snapshot: self.parse(&bytes, package)?,
                validators,
            }),
        }
    }

    async fn lookup(&self, package: &PackageId) -> Result<Option<PackageMetadata>, RegistryError> {
        crate::adapters::lookup_by_check(self, package).await
    }

    async fn changes(&self, cursor: Option<&str>) -> Option<Result<ChangeBatch, RegistryError>> {
        let feed = self.updates_feed.as_ref()?;
        let fetched = self
            .http
            .get(
                feed,
                &Validators::default(),
                "application/rss+xml, application/xml, text/xml",
                "the updates feed",
            )
            .await;
        Some(fetched.and_then(|f| match f {
            Fetched::Body { bytes, .. } => updates::read(&bytes, cursor),
            Fetched::NotModified => Err(RegistryError::Malformed {
                reason: "the updates feed answered 304 to an unconditional request".into(),
            }),
        }))
    }

    fn package_page(&self, package: &PackageId, version: Option<&str>) -> Option<String> {
        let template = self.page_template.as_deref()?;
        Some(render_page(template, package.name(), version))
    }
}
