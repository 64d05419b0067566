//! The Cargo registry adapter: versions from the sparse index, metadata from the
//! registry's web API when one is configured.
//!
//! The sparse index serves one file per crate, one JSON object per line and
//! version (`vers`, `yanked`, optionally `pubtime`), at a path derived from the
//! lowercased name ([`index_path`]). It is static and cached, so checks are
//! conditional GETs that cost a 304 when nothing changed. The web API
//! (`{api_url}/api/v1/crates/{name}`) is slower and stricter (it asks for an
//! identifying User-Agent and at most one request per second), so it is only asked
//! on [`lookup`](RegistryAdapter::lookup) and when the index file changed; give it
//! its own `api_limiter` to keep it at its own rate.

use std::sync::Arc;

use url::Url;

use super::http::{Fetched, HttpClient, HttpSettings};
use super::{ConfigError, check_base, parse_json, render_page, rfc3339_secs, url_below};
use crate::adapter::{
    CheckOutcome, PackageMetadata, RegistryAdapter, RegistryError, Snapshot, Validators,
    VersionInfo,
};
use crate::{Ecosystem, PackageId, RateLimiter};

/// Configuration of a [`CargoAdapter`].
#[derive(Clone, Debug)]
pub struct CargoConfig {
    /// Base URL of the sparse index (what follows `sparse+` in Cargo's config).
    pub index_url: Url,
    /// Base URL of the registry's web API, for descriptions, homepages,
    /// repositories and licences. Without it, metadata holds only the name.
    pub api_url: Option<Url>,
    /// Package page template with `{name}` and `{version}` placeholders.
    pub page_template: Option<String>,
    /// The registry's request budget, shared by everything that asks the index.
    pub limiter: Arc<RateLimiter>,
    /// A separate budget for the web API; `None` uses `limiter`.
    pub api_limiter: Option<Arc<RateLimiter>>,
    /// User agent, timeouts and body limit.
    pub http: HttpSettings,
}

/// Follows crates through a sparse index (see the module docs).
#[derive(Debug)]
pub struct CargoAdapter {
    index_url: Url,
    api_url: Option<Url>,
    page_template: Option<String>,
    index: HttpClient,
    api: HttpClient,
}

/// The path of a crate's file in a sparse index: `1/a`, `2/ab`, `3/a/abc`,
/// `se/rd/serde`, always lowercase.
pub fn index_path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        0..=2 => format!("{}/{name}", name.len()),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// One line of an index file; other fields are ignored.
#[derive(serde::Deserialize)]
struct IndexLine {
    name: String,
    vers: String,
    #[serde(default)]
    yanked: bool,
    pubtime: Option<String>,
}

/// The parts of the web API's crate response pkgfed uses.
#[derive(serde::Deserialize)]
struct ApiCrate {
    #[serde(rename = "crate")]
    krate: ApiCrateInfo,
    #[serde(default)]
    versions: Vec<ApiVersion>,
}

#[derive(serde::Deserialize)]
struct ApiCrateInfo {
    name: String,
    description: Option<String>,
    homepage: Option<String>,
    repository: Option<String>,
    max_stable_version: Option<String>,
    newest_version: Option<String>,
}

#[derive(serde::Deserialize)]
struct ApiVersion {
    num: String,
    license: Option<String>,
}

impl CargoAdapter {
    /// Builds the adapter; fails on unusable base URLs or HTTP settings.
    pub fn new(config: CargoConfig) -> Result<Self, ConfigError> {
        check_base("cargo index_url", &config.index_url)?;
        if let Some(api) = &config.api_url {
            check_base("cargo api_url", api)?;
        }
        let index = HttpClient::new(&config.http, config.limiter.clone())?;
        let api = index.with_limiter(config.api_limiter.unwrap_or(config.limiter));
        Ok(CargoAdapter {
            index_url: config.index_url,
            api_url: config.api_url,
            page_template: config.page_template,
            index,
            api,
        })
    }

    /// Fetches and parses the index file.
    async fn fetch_index(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<Option<(Vec<VersionInfo>, String, Validators)>, RegistryError> {
        // Cargo treats `-` and `_` alike but the index files only the published
        // spelling, so a 404 is retried with the other separator, as Cargo does.
        let given = package.name();
        let mut spellings = vec![given.to_owned()];
        for alt in [given.replace('-', "_"), given.replace('_', "-")] {
            if !spellings.contains(&alt) {
                spellings.push(alt);
            }
        }
        let mut last_err = None;
        for spelling in &spellings {
            let url = url_below(&self.index_url, &index_path(spelling))?;
            match self
                .index
                .get(&url, validators, "text/plain, */*", given)
                .await
            {
                Ok(Fetched::NotModified) => return Ok(None),
                Ok(Fetched::Body { bytes, validators }) => {
                    let (versions, name) = parse_index(&bytes, package)?;
                    return Ok(Some((versions, name, validators)));
                }
                Err(e @ RegistryError::NotFound { .. }) => last_err = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or(RegistryError::NotFound {
            name: given.to_owned(),
        }))
    }

    /// Metadata from the web API, or just the name when there is none configured
    /// or it has no entry for the crate.
    async fn metadata(&self, name: &str) -> Result<PackageMetadata, RegistryError> {
        let bare = PackageMetadata {
            name: name.to_owned(),
            ..PackageMetadata::default()
        };
        let Some(api_url) = &self.api_url else {
            return Ok(bare);
        };
        let url = url_below(api_url, &format!("api/v1/crates/{name}"))?;
        let bytes = match self
            .api
            .get(&url, &Validators::default(), "application/json", name)
            .await
        {
            Ok(Fetched::Body { bytes, .. }) => bytes,
            Ok(Fetched::NotModified) | Err(RegistryError::NotFound { .. }) => return Ok(bare),
            Err(e) => return Err(e),
        };
        let api: ApiCrate = parse_json(&bytes, "the crate API response")?;
        let current = [&api.krate.max_stable_version, &api.krate.newest_version]
            .into_iter()
            .flatten()
            .find_map(|num| api.versions.iter().find(|v| &v.num == num))
            .or(api.versions.first());
        Ok(PackageMetadata {
            name: api.krate.name,
            description: api.krate.description.map(|d| d.trim().to_owned()),
            homepage: api.krate.homepage,
            repository: api.krate.repository,
            license: current.and_then(|v| v.license.clone()),
            changelog: None,
        })
    }
}

/// Parses an index file; the name is the registry's spelling from its lines.
pub(crate) fn parse_index(
    bytes: &[u8],
    package: &PackageId,
) -> Result<(Vec<VersionInfo>, String), RegistryError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RegistryError::Malformed {
        reason: format!("the index file of {} is not UTF-8", package.name()),
    })?;
    let mut name = package.name().to_owned();
    let mut versions = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: IndexLine =
            serde_json::from_str(line).map_err(|e| RegistryError::Malformed {
                reason: format!(
                    "line {} of the index file of {} is not an index entry: {e}",
                    n + 1,
                    package.name()
                ),
            })?;
        name = entry.name;
        versions.push(VersionInfo {
            version: entry.vers,
            published_at: entry.pubtime.as_deref().and_then(rfc3339_secs),
            yanked: entry.yanked,
            yanked_reason: None,
            deprecated: None,
        });
    }
    Ok((versions, name))
}

#[async_trait::async_trait]
impl RegistryAdapter for CargoAdapter {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Cargo
    }

    async fn check(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<CheckOutcome, RegistryError> {
        let Some((versions, name, validators)) = self.fetch_index(package, validators).await?
        else {
            return Ok(CheckOutcome::NotModified);
        };
        // The versions are what the watcher needs; metadata from the slower API
        // is a bonus that must not make a check fail.
        let metadata = match self.metadata(&name).await {
            Ok(m) => m,
            Err(_) => PackageMetadata {
                name,
                ..PackageMetadata::default()
            },
        };
        Ok(CheckOutcome::Changed {
            snapshot: Snapshot { metadata, versions },
            validators,
        })
    }

    async fn lookup(&self, package: &PackageId) -> Result<Option<PackageMetadata>, RegistryError> {
        match self.fetch_index(package, &Validators::default()).await {
            Ok(Some((_, name, _))) => self.metadata(&name).await.map(Some),
            Ok(None) => Ok(Some(PackageMetadata {
                name: package.name().to_owned(),
                ..PackageMetadata::default()
            })),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn package_page(&self, package: &PackageId, version: Option<&str>) -> Option<String> {
        let template = self.page_template.as_deref()?;
        Some(render_page(template, package.name(), version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("serde"), "se/rd/serde");
        assert_eq!(index_path("Serde_JSON"), "se/rd/serde_json");
        assert_eq!(index_path("log"), "3/l/log");
        assert_eq!(index_path("anyhow"), "an/yh/anyhow");
    }
}
