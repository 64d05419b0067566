//! The npm registry adapter: one packument per package.
//!
//! A packument (`{url}/{name}`, scoped names as `@scope%2fname`) lists every
//! published version under `versions` (with npm's per-version `deprecated`
//! message), publish times under `time` (next to the `created` and `modified`
//! keys), and `dist-tags`. Unpublished versions vanish from `versions` while their
//! time stays; they are simply absent from the snapshot. Package-level metadata
//! (`description`, `homepage`, `repository`, `license`) is read from the top level
//! and, where the packument lacks it, from the version `dist-tags.latest` names.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use super::http::{Fetched, HttpClient, HttpSettings};
use super::{ConfigError, check_base, parse_json, render_page, rfc3339_secs, url_below};
use crate::adapter::{
    CheckOutcome, PackageMetadata, RegistryAdapter, RegistryError, Snapshot, Validators,
    VersionInfo,
};
use crate::{Ecosystem, PackageId, RateLimiter};

/// Configuration of an [`NpmAdapter`].
#[derive(Clone, Debug)]
pub struct NpmConfig {
    /// Base URL of the registry; packuments are at `{url}/{name}`.
    pub url: Url,
    /// Package page template with `{name}` and `{version}` placeholders.
    pub page_template: Option<String>,
    /// The registry's request budget.
    pub limiter: Arc<RateLimiter>,
    /// User agent, timeouts and body limit.
    pub http: HttpSettings,
}

/// Follows npm packages through their packuments (see the module docs).
#[derive(Debug)]
pub struct NpmAdapter {
    url: Url,
    page_template: Option<String>,
    http: HttpClient,
}

/// The parts of a packument pkgfed reads; values npm has spelled several ways
/// over the years stay loose [`Value`]s.
#[derive(serde::Deserialize)]
struct Packument {
    name: Option<String>,
    #[serde(default)]
    versions: BTreeMap<String, Value>,
    #[serde(default)]
    time: BTreeMap<String, Value>,
    #[serde(default, rename = "dist-tags")]
    dist_tags: BTreeMap<String, Value>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// The packument path of a name: `left-pad`, `@scope%2fname`.
pub fn packument_path(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

impl NpmAdapter {
    /// Builds the adapter; fails on an unusable base URL or HTTP settings.
    pub fn new(config: NpmConfig) -> Result<Self, ConfigError> {
        check_base("npm url", &config.url)?;
        Ok(NpmAdapter {
            http: HttpClient::new(&config.http, config.limiter)?,
            url: config.url,
            page_template: config.page_template,
        })
    }
}

/// A string, or the string under `key` of an object, or of the first element
/// of an array of such (old packuments list licences as `[{type, url}]`).
fn string_or_field(value: Option<&Value>, key: &str) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get(key)?.as_str()?.to_owned(),
        Value::Array(items) => return string_or_field(items.first(), key),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A repository URL as people would click it: without `git+` and `.git`.
fn clean_repository(url: String) -> String {
    let url = url.strip_prefix("git+").unwrap_or(&url);
    let url = match url.strip_prefix("git://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_owned(),
    };
    url.strip_suffix(".git").map(str::to_owned).unwrap_or(url)
}

/// Turns a packument into a snapshot.
pub(crate) fn parse_packument(
    bytes: &[u8],
    package: &PackageId,
) -> Result<Snapshot, RegistryError> {
    let doc: Packument = parse_json(bytes, "the packument")?;
    if doc.versions.is_empty() && doc.time.contains_key("unpublished") {
        // The whole package was unpublished: npm keeps a tombstone.
        return Err(RegistryError::NotFound {
            name: package.name().to_owned(),
        });
    }
    let latest = doc
        .dist_tags
        .get("latest")
        .and_then(Value::as_str)
        .and_then(|v| doc.versions.get(v));
    let field = |key: &str, sub: &str| {
        string_or_field(doc.rest.get(key), sub)
            .or_else(|| string_or_field(latest.and_then(|l| l.get(key)), sub))
    };
    let metadata = PackageMetadata {
        name: doc
            .name
            .clone()
            .unwrap_or_else(|| package.name().to_owned()),
        description: field("description", ""),
        homepage: field("homepage", ""),
        repository: field("repository", "url").map(clean_repository),
        license: field("license", "type"),
        changelog: None,
    };
    let versions = doc
        .versions
        .iter()
        .map(|(version, manifest)| VersionInfo {
            version: version.clone(),
            published_at: doc
                .time
                .get(version)
                .and_then(Value::as_str)
                .and_then(rfc3339_secs),
            yanked: false,
            yanked_reason: None,
            deprecated: manifest
                .get("deprecated")
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
                .map(str::to_owned),
        })
        .collect();
    Ok(Snapshot { metadata, versions })
}

#[async_trait::async_trait]
impl RegistryAdapter for NpmAdapter {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    async fn check(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<CheckOutcome, RegistryError> {
        let url = url_below(&self.url, &packument_path(package.name()))?;
        match self
            .http
            .get(&url, validators, "application/json", package.name())
            .await?
        {
            Fetched::NotModified => Ok(CheckOutcome::NotModified),
            Fetched::Body { bytes, validators } => Ok(CheckOutcome::Changed {
                snapshot: parse_packument(&bytes, package)?,
                validators,
            }),
        }
    }

    async fn lookup(&self, package: &PackageId) -> Result<Option<PackageMetadata>, RegistryError> {
        super::lookup_by_check(self, package).await
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
    fn loose_metadata_shapes() {
        let body =
            br#"{"name":"x","versions":{"1.0.0":{"deprecated":"use y"},"1.1.0":{"deprecated":""}},
            "time":{"created":"2020-01-01T00:00:00Z","modified":"2021-01-01T00:00:00Z",
                    "1.0.0":"2020-01-01T00:00:00.000Z","0.9.0":"2019-01-01T00:00:00Z"},
            "dist-tags":{"latest":"1.1.0"},
            "repository":"git+https://forge.test/x/x.git","license":[{"type":"MIT"}],
            "homepage":"  "}"#;
        let pkg = PackageId::new(Ecosystem::Npm, "x").unwrap();
        let snap = parse_packument(body, &pkg).unwrap();
        assert_eq!(
            snap.metadata.repository.as_deref(),
            Some("https://forge.test/x/x")
        );
        assert_eq!(snap.metadata.license.as_deref(), Some("MIT"));
        assert_eq!(snap.metadata.homepage, None);
        assert_eq!(snap.versions.len(), 2, "0.9.0 was unpublished");
        assert_eq!(snap.versions[0].deprecated.as_deref(), Some("use y"));
        assert_eq!(snap.versions[0].published_at, Some(1_577_836_800));
        assert_eq!(snap.versions[1].deprecated, None);
        assert_eq!(snap.versions[1].published_at, None);
    }

    #[test]
    fn repository_objects_and_tombstones() {
        let pkg = PackageId::new(Ecosystem::Npm, "@s/x").unwrap();
        let body = br#"{"versions":{},"time":{"unpublished":{"time":"2020-01-01T00:00:00Z"}}}"#;
        assert!(matches!(
            parse_packument(body, &pkg),
            Err(RegistryError::NotFound { .. })
        ));
        assert_eq!(packument_path("@s/x"), "@s%2fx");
        let body = br#"{"versions":{"1.0.0":{"repository":{"type":"git","url":"git://forge.test/s/x.git"},"license":{"type":"ISC"}}},"dist-tags":{"latest":"1.0.0"}}"#;
        let m = parse_packument(body, &pkg).unwrap().metadata;
        assert_eq!(m.name, "@s/x");
        assert_eq!(m.repository.as_deref(), Some("https://forge.test/s/x"));
        assert_eq!(m.license.as_deref(), Some("ISC"));
    }
}
