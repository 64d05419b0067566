//! The per-registry sections `[cargo]`, `[npm]`, `[pypi]` and `[generic]`.
//!
//! No registry endpoint has a default: pkgfed ships without any public registry host
//! written in it, so an enabled ecosystem needs its endpoint configured. Validation
//! records a missing one; `pkgfed serve` refuses to start with one
//! ([`super::WatchSettings::require_registries`], naming the key), except under
//! `--dev` (a warning; that ecosystem is not watched) or with `watch.enabled = false`.

use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};
use url::Url;

use super::ConfigError;

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
    /// How often the updates feed is read. The feed holds a fixed number of the
    /// newest releases of the whole index; reading it less often than that many
    /// releases take to appear leaves gaps, and a gap makes every tracked package due.
    pub updates_feed_interval_seconds: u64,
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
            updates_feed_interval_seconds: 60,
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
        /// How often the change feed is read.
        updates_feed_interval: std::time::Duration,
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

pub(super) fn env_name(key: &str) -> String {
    format!("PKGFED_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// An endpoint: `Ok(None)` when empty, an error naming `key` when not an http(s) URL.
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

/// Validates the registry sections of the enabled ecosystems: their endpoints, and
/// which enabled ecosystems have none (with the key to set).
#[allow(clippy::type_complexity)]
pub fn validate(
    cargo: &CargoConfig,
    npm: &NpmConfig,
    pypi: &PypiConfig,
    generic: &GenericConfig,
    ecosystems: &[Ecosystem],
) -> Result<(Vec<RegistrySettings>, Vec<(Ecosystem, &'static str)>), ConfigError> {
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
                        updates_feed_interval: match pypi.updates_feed_interval_seconds {
                            0 => {
                                return Err(ConfigError::Invalid {
                                    key: "pypi.updates_feed_interval_seconds",
                                    message: "must be greater than 0".into(),
                                });
                            }
                            s => std::time::Duration::from_secs(s),
                        },
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
    Ok((registries, unconfigured))
}
