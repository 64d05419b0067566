//! [`OsvApiSource`]: an OSV-compatible query API.
//!
//! | request | answer |
//! |---|---|
//! | `POST {base}/v1/query` `{"package": {"name", "ecosystem"}, "page_token"?}` | `{"vulns": [full records], "next_page_token"?}` |
//! | `POST {base}/v1/querybatch` `{"queries": [query…]}` | `{"results": [{"vulns": [{"id", "modified"}], "next_page_token"?}]}`, one result per query, in order |
//! | `GET {base}/v1/vulns/{id}` | the full record |
//!
//! Every request waits for the limiter; a 429 or 5xx backs it off (by
//! `Retry-After` when given) exactly as for the registry adapters, and fails
//! the call with [`AdvisoryError::Http`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::adapter::{RegistryError, Validators};
use crate::adapters::http::{Fetched, HttpClient};
use crate::adapters::{ConfigError, HttpSettings, check_base, url_below};
use crate::advisories::model::{Advisory, AdvisoryError, Timestamp, osv_ecosystem};
use crate::{PackageId, RateLimiter};

/// How to reach an OSV-compatible API.
#[derive(Clone, Debug, PartialEq)]
pub struct OsvApiConfig {
    /// The base URL; `v1/query`, `v1/querybatch` and `v1/vulns/{id}` lie below it.
    pub base_url: Url,
    /// HTTP settings (user agent, timeouts, body cap).
    pub http: HttpSettings,
    /// Most queries per `querybatch` request (the OSV API accepts 1000).
    pub batch_size: usize,
}

impl OsvApiConfig {
    /// Default settings for the API at `base_url`.
    pub fn new(base_url: Url) -> Self {
        OsvApiConfig {
            base_url,
            http: HttpSettings::default(),
            batch_size: 1000,
        }
    }
}

/// An advisory as a batch query lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnRef {
    /// Its id.
    pub id: String,
    /// When it last changed, if the API says.
    #[serde(default)]
    pub modified: Option<Timestamp>,
}

/// What an [`OsvApiSource`] has already reported, by advisory id. Persist it
/// to poll incrementally across restarts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiState {
    /// Every advisory reported so far.
    pub known: BTreeMap<String, KnownVuln>,
}

/// One reported advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownVuln {
    /// Its `modified` when last fetched.
    pub modified: Timestamp,
    /// The packages whose queries listed it, as `ecosystem:key`.
    pub packages: BTreeSet<String>,
}

/// What one [`OsvApiSource::poll`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiPoll {
    /// Advisories that are new or whose `modified` changed, fully fetched.
    pub changed: Vec<Advisory>,
    /// Ids no query of this poll listed any more, although every package
    /// they were listed for was queried. Dropped from the state.
    pub gone: Vec<String>,
    /// Records that could not be fetched or parsed; they are tried again on
    /// the next poll. After a 429 or 5xx the poll stops fetching, and the
    /// error is here.
    pub errors: Vec<AdvisoryError>,
}

/// A client of one OSV-compatible API.
#[derive(Clone, Debug)]
pub struct OsvApiSource {
    http: HttpClient,
    base: Url,
    batch_size: usize,
}

#[derive(Deserialize)]
struct QueryAnswer {
    #[serde(default)]
    vulns: Option<Vec<Advisory>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    #[serde(default)]
    vulns: Option<Vec<VulnRef>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// What an id may contain unencoded in a path segment (ids are ASCII letters,
/// digits and `-` in practice).
const ID_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn package_tag(package: &PackageId) -> String {
    format!("{}:{}", package.ecosystem(), package.key())
}

/// The query for `package`, `None` for ecosystems OSV has no name for.
fn query_for(package: &PackageId, page_token: Option<&str>) -> Option<Value> {
    let ecosystem = osv_ecosystem(package.ecosystem())?;
    let mut q = json!({"package": {"name": package.name(), "ecosystem": ecosystem}});
    if let Some(token) = page_token {
        q["page_token"] = json!(token);
    }
    Some(q)
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, AdvisoryError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| AdvisoryError::from_path_error(what, e))
}

/// Whether an error is the API's trouble (stop asking) rather than one record's.
fn is_transient(e: &AdvisoryError) -> bool {
    matches!(
        e,
        AdvisoryError::Http(RegistryError::RateLimited { .. } | RegistryError::Unavailable { .. })
    )
}

impl OsvApiSource {
    /// A client of the API in `config`, sharing `limiter` with everything else
    /// that asks the same host.
    pub fn new(config: &OsvApiConfig, limiter: Arc<RateLimiter>) -> Result<Self, ConfigError> {
        check_base("the OSV API base URL", &config.base_url)?;
        if config.batch_size == 0 {
            return Err(ConfigError(
                "the OSV API batch size must be at least 1".into(),
            ));
        }
        Ok(OsvApiSource {
            http: HttpClient::new(&config.http, limiter)?,
            base: config.base_url.clone(),
            batch_size: config.batch_size,
        })
    }

    /// Every advisory the API lists for `package`, fully (following pages).
    /// Empty for generic projects, which OSV has no ecosystem for.
    pub async fn query(&self, package: &PackageId) -> Result<Vec<Advisory>, AdvisoryError> {
        let url = url_below(&self.base, "v1/query")?;
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let Some(q) = query_for(package, token.as_deref()) else {
                return Ok(all);
            };
            let bytes = self.http.post_json(&url, &q, package.name()).await?;
            let answer: QueryAnswer = parse(&bytes, url.as_str())?;
            for advisory in answer.vulns.unwrap_or_default() {
                advisory.validate(url.as_str())?;
                all.push(advisory);
            }
            match answer.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(all),
            }
        }
    }

    /// The advisories listed for each of `packages` (ids and `modified` only),
    /// one list per package in the same order, in requests of at most the
    /// configured batch size, following pages.
    pub async fn query_batch(
        &self,
        packages: &[PackageId],
    ) -> Result<Vec<Vec<VulnRef>>, AdvisoryError> {
        let url = url_below(&self.base, "v1/querybatch")?;
        let mut lists: Vec<Vec<VulnRef>> = vec![Vec::new(); packages.len()];
        // (package index, page token) still to ask.
        let mut pending: Vec<(usize, Option<String>)> = packages
            .iter()
            .enumerate()
            .filter(|(_, p)| osv_ecosystem(p.ecosystem()).is_some())
            .map(|(i, _)| (i, None))
            .collect();
        while !pending.is_empty() {
            let mut next = Vec::new();
            for chunk in pending.chunks(self.batch_size) {
                let queries: Vec<Value> = chunk
                    .iter()
                    .filter_map(|(i, token)| query_for(&packages[*i], token.as_deref()))
                    .collect();
                let bytes = self
                    .http
                    .post_json(&url, &json!({ "queries": queries }), "querybatch")
                    .await?;
                let answer: BatchAnswer = parse(&bytes, url.as_str())?;
                if answer.results.len() != chunk.len() {
                    return Err(RegistryError::Malformed {
                        reason: format!(
                            "{url} answered {} results to {} queries",
                            answer.results.len(),
                            chunk.len()
                        ),
                    }
                    .into());
                }
                for ((i, _), result) in chunk.iter().zip(answer.results) {
                    lists[*i].extend(result.vulns.unwrap_or_default());
                    if let Some(t) = result.next_page_token.filter(|t| !t.is_empty()) {
                        next.push((*i, Some(t)));
                    }
                }
            }
            pending = next;
        }
        Ok(lists)
    }

    /// The full record of `id`; `None` when the API has no such advisory.
    pub async fn get(&self, id: &str) -> Result<Option<Advisory>, AdvisoryError> {
        let encoded = utf8_percent_encode(id, ID_SEGMENT).to_string();
        let url = url_below(&self.base, &format!("v1/vulns/{encoded}"))?;
        match self
            .http
            .get(&url, &Validators::default(), "application/json", id)
            .await
        {
            Ok(Fetched::Body { bytes, .. }) => {
                Advisory::from_osv_json(&bytes, url.as_str()).map(Some)
            }
            Ok(Fetched::NotModified) => Err(RegistryError::Malformed {
                reason: format!("GET {url} answered 304 to an unconditional request"),
            }
            .into()),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks about `packages` in batches and fetches the records that are new
    /// or changed since `state`, which is updated for exactly the advisories
    /// returned in [`ApiPoll::changed`] and [`ApiPoll::gone`]. A failing batch
    /// query fails the poll and leaves `state` as it was.
    pub async fn poll(
        &self,
        packages: &[PackageId],
        state: &mut ApiState,
    ) -> Result<ApiPoll, AdvisoryError> {
        let lists = self.query_batch(packages).await?;
        let queried: BTreeSet<String> = packages.iter().map(package_tag).collect();
        // Every id listed now, with the packages it was listed for.
        let mut listed: BTreeMap<String, (Option<Timestamp>, BTreeSet<String>)> = BTreeMap::new();
        for (package, list) in packages.iter().zip(&lists) {
            for vuln in list {
                let entry = listed
                    .entry(vuln.id.clone())
                    .or_insert((vuln.modified, BTreeSet::new()));
                entry.1.insert(package_tag(package));
                if vuln.modified > entry.0 {
                    entry.0 = vuln.modified;
                }
            }
        }

        let mut poll = ApiPoll::default();
        for (id, (modified, tags)) in &listed {
            let known = state.known.get(id);
            let fresh = match (known, modified) {
                (Some(k), Some(m)) => k.modified == *m,
                // Without `modified` in the listing, the record tells.
                _ => false,
            };
            if fresh {
                if let Some(k) = state.known.get_mut(id) {
                    k.packages.extend(tags.iter().cloned());
                }
                continue;
            }
            match self.get(id).await {
                Ok(Some(advisory)) => {
                    let unchanged = known.is_some_and(|k| k.modified == advisory.modified);
                    let mut packages = known.map(|k| k.packages.clone()).unwrap_or_default();
                    packages.extend(tags.iter().cloned());
                    state.known.insert(
                        id.clone(),
                        KnownVuln {
                            modified: advisory.modified,
                            packages,
                        },
                    );
                    if !unchanged {
                        poll.changed.push(advisory);
                    }
                }
                Ok(None) => poll.errors.push(AdvisoryError::Invalid {
                    file: id.clone(),
                    field: "the document".into(),
                    message: "listed by the batch query but not found".into(),
                }),
                Err(e) => {
                    let stop = is_transient(&e);
                    poll.errors.push(e);
                    if stop {
                        break;
                    }
                }
            }
        }

        let gone: Vec<String> = state
            .known
            .iter()
            .filter(|(id, k)| !listed.contains_key(*id) && k.packages.is_subset(&queried))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &gone {
            state.known.remove(id);
        }
        poll.gone = gone;
        Ok(poll)
    }
}
