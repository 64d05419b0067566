//! `[watch]` and the per-registry sections `[cargo]`, `[npm]`, `[pypi]`.
//!
//! No registry endpoint has a default: pkgfed ships without any public registry host
//! written in it, so an enabled ecosystem needs its endpoint configured. Validation
//! records a missing one in [`WatchSettings::unconfigured`]; `pkgfed serve` refuses
//! to start with one ([`WatchSettings::require_registries`], naming the key), except
//! under `--dev` (a warning; that ecosystem is not watched) or with
//! `watch.enabled = false`.

use std::time::Duration;

use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};
use url::Url;

use super::ConfigError;

/// `[watch]`: how often and what to watch.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    /// Watch registries at all. Off: packages are served and followed, nothing is
    /// checked, and no registry endpoint is needed.
    pub enabled: bool,
    /// Check interval of a package with an ordinary release rhythm.
    pub interval_seconds: u64,
    /// Shortest interval (packages that release often).
    pub min_interval_seconds: u64,
    /// Longest interval (dormant packages, and yank checks in change-feed mode).
    pub max_interval_seconds: u64,
    /// Announce prereleases (tagged `#prerelease`).
    pub prereleases: bool,
    /// Warn when a registry had no successful check for this many intervals.
    pub stall_intervals: u32,
    /// How long "no such package" answers of lazy lookups are remembered.
    pub negative_cache_seconds: u64,
    /// Package URL patterns (`*` wildcard) that may be created on first lookup;
    /// empty allows all.
    pub allow: Vec<String>,
    /// Package URL patterns that are never created on first lookup.
    pub deny: Vec<String>,
    /// Identifying User-Agent for registry requests; empty: `pkgfed/<version>
    /// (+<base_url>)`.
    pub user_agent: String,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_seconds: 900,
            min_interval_seconds: 300,
            max_interval_seconds: 6 * 3600,
            prereleases: true,
            stall_intervals: 3,
            negative_cache_seconds: 3600,
            allow: Vec::new(),
            deny: Vec::new(),
            user_agent: String::new(),
        }
    }
}

/// `[cargo]`: a Cargo registry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CargoConfig {
    /// Base URL of the sparse index (the `sparse+` prefix removed).
    pub index_url: String,
    /// Base URL of the registry's web API (metadata); optional.
    pub api_url: String,
    /// Public page of a package version: `{name}` and `{version}` are replaced.
    pub page_url: String,
    /// Requests per second to this registry, shared by every caller.
    pub requests_per_second: f64,
}

/// `[npm]`: an npm registry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NpmConfig {
    /// Base URL of the registry (packuments at `<registry_url>/<name>`).
    pub registry_url: String,
    /// Public page of a package version: `{name}` and `{version}` are replaced.
    pub page_url: String,
    /// Requests per second to this registry.
    pub requests_per_second: f64,
}

/// `[pypi]`: a Python package index.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PypiConfig {
    /// Base URL of the index: the JSON API is at `<url>/pypi/<name>/json`.
    pub url: String,
    /// Base URL of the Simple API (JSON form), used when `api = "simple"`; empty:
    /// `<url>/simple/`.
    pub simple_url: String,
    /// `json` (JSON API, has metadata) or `simple` (Simple API).
    pub api: String,
    /// Registry-wide RSS feed of recent releases; when set, packages are checked when
    /// the feed names them (change-feed mode) and otherwise only at the longest
    /// interval, for yanks.
    pub updates_feed_url: String,
    /// Public page of a package version: `{name}` and `{version}` are replaced.
    pub page_url: String,
    /// Requests per second to this registry.
    pub requests_per_second: f64,
}

impl Default for CargoConfig {
    fn default() -> Self {
        Self {
            index_url: String::new(),
            api_url: String::new(),
            page_url: String::new(),
            requests_per_second: 1.0,
        }
    }
}

impl Default for NpmConfig {
    fn default() -> Self {
        Self {
            registry_url: String::new(),
            page_url: String::new(),
            requests_per_second: 1.0,
        }
    }
}

impl Default for PypiConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            simple_url: String::new(),
            api: "json".into(),
            updates_feed_url: String::new(),
            page_url: String::new(),
            requests_per_second: 1.0,
        }
    }
}

/// `[generic]`: projects outside package registries, followed through their
/// releases feeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenericConfig {
    /// `name=feed URL` pairs: each project's Atom or RSS releases feed.
    pub feeds: Vec<String>,
    /// Public page of a version: `{name}` and `{version}` are replaced; empty: the
    /// feed entry's own link.
    pub page_url: String,
    /// Requests per second to the feeds, together.
    pub requests_per_second: f64,
}

impl Default for GenericConfig {
    fn default() -> Self {
        Self {
            feeds: Vec::new(),
            page_url: String::new(),
            requests_per_second: 1.0,
        }
    }
}

/// Validated watch settings.
#[derive(Clone, Debug)]
pub struct WatchSettings {
    /// Whether the watcher runs.
    pub enabled: bool,
    /// Ordinary interval.
    pub interval: Duration,
    /// Shortest interval.
    pub min_interval: Duration,
    /// Longest interval.
    pub max_interval: Duration,
    /// Announce prereleases.
    pub prereleases: bool,
    /// Stall warning threshold, in intervals.
    pub stall_intervals: u32,
    /// Negative lookup cache lifetime.
    pub negative_cache: Duration,
    /// Creation allow patterns.
    pub allow: Vec<String>,
    /// Creation deny patterns.
    pub deny: Vec<String>,
    /// User-Agent of registry requests.
    pub user_agent: String,
    /// The registries to watch, one per enabled and configured ecosystem.
    pub registries: Vec<RegistrySettings>,
    /// Enabled ecosystems without a configured endpoint, with the key to set.
    pub unconfigured: Vec<(Ecosystem, &'static str)>,
}

impl WatchSettings {
    /// Fails naming the first missing registry endpoint, when watching is on.
    pub fn require_registries(&self) -> Result<(), ConfigError> {
        match self.unconfigured.first() {
            Some((eco, key)) if self.enabled => Err(ConfigError::Invalid {
                key,
                message: format!(
                    "is not set: {eco} is enabled in packages.ecosystems, so pkgfed needs its registry's endpoint. \
                     Set {key} (or {}), remove {eco} from packages.ecosystems, or set watch.enabled = false \
                     to serve packages without watching registries",
                    env_name(key)
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// One registry's validated endpoints.
#[derive(Clone, Debug)]
pub enum RegistrySettings {
    /// `[cargo]`
    Cargo {
        /// Sparse index base.
        index_url: Url,
        /// Web API base.
        api_url: Option<Url>,
        /// Page template.
        page_url: Option<String>,
        /// Rate limit.
        requests_per_second: f64,
    },
    /// `[npm]`
    Npm {
        /// Registry base.
        registry_url: Url,
        /// Page template.
        page_url: Option<String>,
        /// Rate limit.
        requests_per_second: f64,
    },
    /// `[generic]`
    Generic {
        /// Project name → releases feed.
        feeds: std::collections::BTreeMap<String, Url>,
        /// Page template.
        page_url: Option<String>,
        /// Rate limit.
        requests_per_second: f64,
    },
    /// `[pypi]`
    Pypi {
        /// Index base URL (JSON API at `<url>/pypi/<name>/json`).
        url: Url,
        /// Simple API base (default `<url>/simple/`).
        simple_url: Option<Url>,
        /// Use the Simple API instead of the JSON API.
        simple: bool,
        /// Change feed.
        updates_feed_url: Option<Url>,
        /// Page template.
        page_url: Option<String>,
        /// Rate limit.
        requests_per_second: f64,
    },
}

impl RegistrySettings {
    /// The ecosystem it serves.
    pub fn ecosystem(&self) -> Ecosystem {
        match self {
            RegistrySettings::Cargo { .. } => Ecosystem::Cargo,
            RegistrySettings::Npm { .. } => Ecosystem::Npm,
            RegistrySettings::Pypi { .. } => Ecosystem::Pypi,
            RegistrySettings::Generic { .. } => Ecosystem::Generic,
        }
    }
}

fn env_name(key: &str) -> String {
    format!("PKGFED_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// A required endpoint: `Ok(None)` when empty and `lenient`.
fn endpoint(key: &'static str, raw: &str, what: &str) -> Result<Option<Url>, ConfigError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let url = Url::parse(raw.trim()).map_err(|e| ConfigError::Invalid {
        key,
        message: format!("`{raw}` is not a URL ({e}); set it to the {what}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::Invalid {
            key,
            message: format!("`{raw}` must be an http(s) URL with a host: the {what}"),
        });
    }
    Ok(Some(url))
}

fn template(key: &'static str, raw: &str) -> Result<Option<String>, ConfigError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let probe = raw.replace("{name}", "n").replace("{version}", "1");
    endpoint(key, &probe, "package page URL template")?;
    Ok(Some(raw.to_owned()))
}

fn rate(key: &'static str, v: f64) -> Result<f64, ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(ConfigError::Invalid {
            key,
            message: format!("{v} is not a positive number of requests per second"),
        })
    }
}

/// Validates `[watch]` and the registry sections of the enabled ecosystems. A
/// missing endpoint is recorded in [`WatchSettings::unconfigured`].
pub fn validate(
    w: &WatchConfig,
    cargo: &CargoConfig,
    npm: &NpmConfig,
    pypi: &PypiConfig,
    generic: &GenericConfig,
    ecosystems: &[Ecosystem],
    default_user_agent: String,
) -> Result<WatchSettings, ConfigError> {
    let secs = |key: &'static str, v: u64| {
        if v == 0 {
            Err(ConfigError::Invalid {
                key,
                message: "must be greater than 0".into(),
            })
        } else {
            Ok(Duration::from_secs(v))
        }
    };
    let interval = secs("watch.interval_seconds", w.interval_seconds)?;
    let min_interval = secs("watch.min_interval_seconds", w.min_interval_seconds)?;
    let max_interval = secs("watch.max_interval_seconds", w.max_interval_seconds)?;
    if min_interval > interval || interval > max_interval {
        return Err(ConfigError::Invalid {
            key: "watch.interval_seconds",
            message: format!(
                "must lie between watch.min_interval_seconds ({}) and watch.max_interval_seconds ({})",
                w.min_interval_seconds, w.max_interval_seconds
            ),
        });
    }
    let mut registries = Vec::new();
    let mut unconfigured = Vec::new();
    let mut need = |eco: Ecosystem, key: &'static str, _what: &str| {
        unconfigured.push((eco, key));
        Ok::<(), ConfigError>(())
    };
    for eco in ecosystems {
        match eco {
            Ecosystem::Cargo => {
                let what = "base URL of the Cargo registry's sparse index";
                match endpoint("cargo.index_url", &cargo.index_url, what)? {
                    Some(index_url) => registries.push(RegistrySettings::Cargo {
                        index_url,
                        api_url: endpoint(
                            "cargo.api_url",
                            &cargo.api_url,
                            "base URL of the registry's web API",
                        )?,
                        page_url: template("cargo.page_url", &cargo.page_url)?,
                        requests_per_second: rate(
                            "cargo.requests_per_second",
                            cargo.requests_per_second,
                        )?,
                    }),
                    None => need(*eco, "cargo.index_url", what)?,
                }
            }
            Ecosystem::Npm => {
                let what = "base URL of the npm registry";
                match endpoint("npm.registry_url", &npm.registry_url, what)? {
                    Some(registry_url) => registries.push(RegistrySettings::Npm {
                        registry_url,
                        page_url: template("npm.page_url", &npm.page_url)?,
                        requests_per_second: rate(
                            "npm.requests_per_second",
                            npm.requests_per_second,
                        )?,
                    }),
                    None => need(*eco, "npm.registry_url", what)?,
                }
            }
            // Validated after the loop: its endpoints are a list.
            Ecosystem::Generic => {}
            Ecosystem::Pypi => {
                let simple = match pypi.api.as_str() {
                    "json" => false,
                    "simple" => true,
                    other => {
                        return Err(ConfigError::Invalid {
                            key: "pypi.api",
                            message: format!("`{other}` is not supported: use json or simple"),
                        });
                    }
                };
                let what =
                    "base URL of the Python package index (JSON API at <url>/pypi/<name>/json)";
                match endpoint("pypi.url", &pypi.url, what)? {
                    Some(url) => registries.push(RegistrySettings::Pypi {
                        url,
                        simple_url: endpoint(
                            "pypi.simple_url",
                            &pypi.simple_url,
                            "base URL of the index's Simple API",
                        )?,
                        simple,
                        updates_feed_url: endpoint(
                            "pypi.updates_feed_url",
                            &pypi.updates_feed_url,
                            "registry-wide RSS feed of recent releases",
                        )?,
                        page_url: template("pypi.page_url", &pypi.page_url)?,
                        requests_per_second: rate(
                            "pypi.requests_per_second",
                            pypi.requests_per_second,
                        )?,
                    }),
                    None => need(*eco, "pypi.url", what)?,
                }
            }
        }
    }
    if ecosystems.contains(&Ecosystem::Generic) {
        let mut feeds = std::collections::BTreeMap::new();
        for entry in &generic.feeds {
            let bad = |why: String| ConfigError::Invalid {
                key: "generic.feeds",
                message: format!(
                    "`{entry}`: {why}; write each entry as name=https://forge.example/owner/project/releases.atom"
                ),
            };
            let (name, url) = entry
                .split_once('=')
                .ok_or_else(|| bad("there is no `=` between the name and the feed URL".into()))?;
            let id = pkgfed_registries::PackageId::new(Ecosystem::Generic, name.trim())
                .map_err(|e| bad(e.to_string()))?;
            let url = endpoint("generic.feeds", url, "project's releases feed")?
                .ok_or_else(|| bad("the feed URL is empty".into()))?;
            if feeds.insert(id.name().to_owned(), url).is_some() {
                return Err(bad(format!("{} has two feeds", id.name())));
            }
        }
        if feeds.is_empty() {
            need(Ecosystem::Generic, "generic.feeds", "")?;
        } else {
            registries.push(RegistrySettings::Generic {
                feeds,
                page_url: template("generic.page_url", &generic.page_url)?,
                requests_per_second: rate(
                    "generic.requests_per_second",
                    generic.requests_per_second,
                )?,
            });
        }
    }
    for (key, patterns) in [("watch.allow", &w.allow), ("watch.deny", &w.deny)] {
        if let Some(bad) = patterns.iter().find(|p| !p.starts_with("pkg:")) {
            return Err(ConfigError::Invalid {
                key,
                message: format!(
                    "`{bad}` is not a package URL pattern: write it like pkg:npm/%40myorg/* or pkg:cargo/serde*"
                ),
            });
        }
    }
    Ok(WatchSettings {
        enabled: w.enabled,
        interval,
        min_interval,
        max_interval,
        prereleases: w.prereleases,
        stall_intervals: w.stall_intervals.max(1),
        negative_cache: Duration::from_secs(w.negative_cache_seconds),
        allow: w.allow.clone(),
        deny: w.deny.clone(),
        user_agent: if w.user_agent.trim().is_empty() {
            default_user_agent
        } else {
            w.user_agent.trim().to_owned()
        },
        registries,
        unconfigured,
    })
}
