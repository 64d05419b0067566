//! Configuration: a TOML file, `PKGFED_*` environment overrides, validation.
//!
//! Every key has a built-in default (see [`Config::default`]) except the public base
//! URL, which must be set (or chosen by `pkgfed serve --dev` for a local test
//! instance). Each key `section.key` can be overridden by the environment variable
//! `PKGFED_SECTION_KEY`; arrays are comma-separated. `docs/configuration.md` documents
//! every key.

pub mod advisories;
pub mod broker;
mod env;
pub mod limits;
mod redact;
pub mod registries;
mod sections;
pub mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};
use url::Url;

pub use env::apply_env_overrides;
pub use limits::{LimitSettings, LimitsConfig, Rate};
pub use redact::redacted_toml;
pub use registries::{CargoConfig, GenericConfig, NpmConfig, PypiConfig, RegistrySettings};
pub use sections::{
    AdminConfig, DeliveryConfig, FederationConfig, LogConfig, LogFormat, MetricsConfig,
    PackagesConfig, ServerConfig, StorageConfig,
};
pub use watch::{WatchConfig, WatchSettings};

/// Why a configuration could not be used. Each message names the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML did not parse or had unknown keys or wrong types.
    #[error("invalid configuration{}: {message}", origin.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    Parse {
        /// The file, when the error came from one.
        origin: Option<PathBuf>,
        /// What was wrong, as the TOML parser said it.
        message: String,
    },
    /// A `PKGFED_*` environment variable could not be applied.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable's name.
        var: String,
        /// What was wrong with it.
        message: String,
    },
    /// A key has a value that cannot work.
    #[error("{key}: {message}")]
    Invalid {
        /// The `section.key` to fix.
        key: &'static str,
        /// What is wrong and what to set instead.
        message: String,
    },
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP server and the public address pkgfed is known by.
    pub server: ServerConfig,
    /// Where state is stored.
    pub storage: StorageConfig,
    /// Federation behaviour: signatures, fetching, blocklist.
    pub federation: FederationConfig,
    /// Rate limits, JSON limits and read timeouts of inbound requests.
    pub limits: LimitsConfig,
    /// Which package ecosystems are served.
    pub packages: PackagesConfig,
    /// Outbound delivery: concurrency, circuit breaker, reports, backfill.
    pub delivery: DeliveryConfig,
    /// The admin API.
    pub admin: AdminConfig,
    /// Registry watching: intervals, prereleases, lazy creation.
    pub watch: WatchConfig,
    /// The Cargo registry's endpoints.
    pub cargo: CargoConfig,
    /// The npm registry's endpoints.
    pub npm: NpmConfig,
    /// The Python package index's endpoints.
    pub pypi: PypiConfig,
    /// Projects outside registries, by releases feed.
    pub generic: GenericConfig,
    /// Security advisory sources.
    pub advisories: advisories::AdvisoriesConfig,
    /// Log output.
    pub log: LogConfig,
    /// The Prometheus metrics listener.
    pub metrics: MetricsConfig,
    /// The optional RabbitMQ broker (cluster mode).
    pub broker: broker::BrokerConfig,
}

/// A validated configuration with parsed values, ready to wire the application.
/// Its `Debug` output hides the admin token.
#[derive(Clone)]
pub struct Settings {
    /// The configuration it was made from (for printing).
    pub raw: Config,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Public base URL without a trailing slash in its path.
    pub base_url: Url,
    /// `Application` or `Service`.
    pub actor_type: &'static str,
    /// Database URL.
    pub database_url: String,
    /// Graceful shutdown bound.
    pub shutdown_grace: Duration,
    /// Inbox body limit.
    pub max_body_bytes: usize,
    /// Signature clock skew bound.
    pub signature_max_skew: Duration,
    /// Remote actor cache TTL.
    pub actor_cache_ttl: Duration,
    /// Blocked domains, lowercased.
    pub blocked_domains: Vec<String>,
    /// Allowed domains, lowercased (used in allow-list mode only).
    pub allowed_domains: Vec<String>,
    /// Allow-list mode: refuse every domain not in `allowed_domains`.
    pub allowlist_mode: bool,
    /// Enabled ecosystems.
    pub ecosystems: Vec<Ecosystem>,
    /// Inbound limits and the trusted proxies.
    pub limits: LimitSettings,
    /// Fetcher settings.
    pub fetch: pkgfed_protocol::fetch::FetchConfig,
    /// Delivery settings.
    pub delivery: DeliveryConfig,
    /// Configured admin token (empty: generated and stored).
    pub admin_token: String,
    /// Registry watching.
    pub watch: WatchSettings,
    /// Security advisory sources.
    pub advisories: advisories::AdvisorySettings,
    /// The metrics-only listener (`metrics.listen`), when configured.
    pub metrics_listen: Option<SocketAddr>,
    /// The RabbitMQ broker (`[broker]`), when configured.
    pub broker: Option<broker::BrokerSettings>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("base_url", &self.base_url.as_str())
            .field(
                "database_url",
                &crate::store::redacted_url(&self.database_url),
            )
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads `path` (TOML). A missing file is an error: callers pass a path only when
    /// the user named one.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, Some(path))
    }

    /// Parses TOML text.
    pub fn from_toml(text: &str, origin: Option<&Path>) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.map(Path::to_owned),
            message: e.to_string(),
        })
    }

    /// Settings for a throwaway local instance (`pkgfed serve --dev`): plain http on
    /// the listen address, private addresses allowed so local peers can federate.
    pub fn apply_dev_profile(&mut self) {
        if self.server.base_url.is_empty() {
            self.server.base_url = format!("http://{}", self.server.listen);
        }
        self.server.allow_http = true;
        self.federation.allow_private_addresses = true;
    }

    /// Checks every value and derives [`Settings`].
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        let listen: SocketAddr = self
            .server
            .listen
            .parse()
            .map_err(|e| ConfigError::Invalid {
                key: "server.listen",
                message: format!(
                    "`{}` is not a socket address like 127.0.0.1:8080 ({e})",
                    self.server.listen
                ),
            })?;
        let base_url = validate_base_url(&self.server.base_url, self.server.allow_http)?;
        let metrics_listen = match self.metrics.listen.trim() {
            "" => None,
            text => Some(text.parse::<SocketAddr>().map_err(|e| ConfigError::Invalid {
                key: "metrics.listen",
                message: format!(
                    "`{text}` is not a socket address like 127.0.0.1:9464 ({e}); leave it empty for no metrics listener"
                ),
            })?),
        };
        if metrics_listen == Some(listen) {
            return Err(ConfigError::Invalid {
                key: "metrics.listen",
                message: "must differ from server.listen: the public listener serves metrics only \
                          behind the admin token (/api/v1/admin/metrics)"
                    .into(),
            });
        }
        let actor_type = match self.federation.actor_type.as_str() {
            "Application" => "Application",
            "Service" => "Service",
            other => {
                return Err(ConfigError::Invalid {
                    key: "federation.actor_type",
                    message: format!("`{other}` is not supported: use Application or Service"),
                });
            }
        };
        if crate::store::backend_of(&self.storage.database_url).is_none() {
            return Err(ConfigError::Invalid {
                key: "storage.database_url",
                message:
                    "use sqlite://path/to/file.db or postgres://user:password@host:port/database"
                        .into(),
            });
        }
        if self.packages.ecosystems.is_empty() {
            return Err(ConfigError::Invalid {
                key: "packages.ecosystems",
                message: "enable at least one ecosystem (cargo, npm, pypi, generic)".into(),
            });
        }
        let positive = |key: &'static str, v: u64| {
            if v == 0 {
                Err(ConfigError::Invalid {
                    key,
                    message: "must be greater than 0".into(),
                })
            } else {
                Ok(Duration::from_secs(v))
            }
        };
        let f = &self.federation;
        if f.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "federation.max_body_bytes",
                message: "must be at least 1024 bytes; activities are rarely under 1 KiB".into(),
            });
        }
        let mut ecosystems = self.packages.ecosystems.clone();
        ecosystems.sort();
        ecosystems.dedup();
        let domains = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|d| {
                    d.trim()
                        .trim_start_matches('.')
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                })
                .filter(|d| !d.is_empty())
                .collect()
        };
        let blocked_domains = domains(&f.blocked_domains);
        let allowed_domains = domains(&f.allowed_domains);
        let d = &self.delivery;
        if d.concurrency == 0 || d.per_host_concurrency == 0 {
            return Err(ConfigError::Invalid {
                key: "delivery.concurrency",
                message:
                    "delivery.concurrency and delivery.per_host_concurrency must be at least 1"
                        .into(),
            });
        }
        if d.per_host_concurrency > d.concurrency {
            return Err(ConfigError::Invalid {
                key: "delivery.per_host_concurrency",
                message: format!("must not exceed delivery.concurrency ({})", d.concurrency),
            });
        }
        if d.circuit_failure_threshold == 0 {
            return Err(ConfigError::Invalid {
                key: "delivery.circuit_failure_threshold",
                message: "must be at least 1".into(),
            });
        }
        if !self.admin.token.is_empty() && self.admin.token.len() < 32 {
            return Err(ConfigError::Invalid {
                key: "admin.token",
                message: "must be at least 32 characters (or empty to have one generated)".into(),
            });
        }
        let user_agent = format!(
            "pkgfed/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            base_url_str(&self.server.base_url)
        );
        let watch = watch::validate(
            &self.watch,
            &self.cargo,
            &self.npm,
            &self.pypi,
            &self.generic,
            &ecosystems,
            user_agent.clone(),
        )?;
        Ok(Settings {
            limits: limits::validate(&self.limits, &f.trusted_proxies)?,
            broker: broker::validate(&self.broker)?,
            metrics_listen,
            advisories: advisories::validate(&self.advisories)?,
            watch,
            raw: self.clone(),
            delivery: d.clone(),
            admin_token: self.admin.token.clone(),
            listen,
            base_url,
            actor_type,
            database_url: self.storage.database_url.clone(),
            shutdown_grace: positive(
                "server.shutdown_grace_seconds",
                self.server.shutdown_grace_seconds,
            )?,
            max_body_bytes: f.max_body_bytes,
            signature_max_skew: positive(
                "federation.signature_max_skew_seconds",
                f.signature_max_skew_seconds,
            )?,
            actor_cache_ttl: positive(
                "federation.actor_cache_ttl_seconds",
                f.actor_cache_ttl_seconds,
            )?,
            blocked_domains,
            allowed_domains,
            allowlist_mode: f.allowlist_mode,
            ecosystems,
            fetch: pkgfed_protocol::fetch::FetchConfig {
                allow_private_addresses: f.allow_private_addresses,
                connect_timeout: positive(
                    "federation.connect_timeout_seconds",
                    f.connect_timeout_seconds,
                )?,
                timeout: positive(
                    "federation.request_timeout_seconds",
                    f.request_timeout_seconds,
                )?,
                max_body_bytes: f.max_fetch_bytes,
                max_redirects: 3,
                user_agent,
            },
        })
    }
}

fn base_url_str(s: &str) -> &str {
    s.trim_end_matches('/')
}

fn validate_base_url(raw: &str, allow_http: bool) -> Result<Url, ConfigError> {
    const KEY: &str = "server.base_url";
    if raw.is_empty() {
        return Err(ConfigError::Invalid {
            key: KEY,
            message: "is not set: set it to the public URL pkgfed is reached at (e.g. https://pkgs.example.org) \
                      in the config file or PKGFED_SERVER_BASE_URL, or run `pkgfed serve --dev` for a local test instance"
                .into(),
        });
    }
    let url = Url::parse(raw).map_err(|e| ConfigError::Invalid {
        key: KEY,
        message: format!("`{raw}` is not a URL ({e})"),
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            return Err(ConfigError::Invalid {
                key: KEY,
                message: "plain http is refused because fediverse servers expect https; for local testing set \
                          server.allow_http = true (PKGFED_SERVER_ALLOW_HTTP=true)"
                    .into(),
            });
        }
        other => {
            return Err(ConfigError::Invalid {
                key: KEY,
                message: format!("scheme `{other}` is not supported: use https"),
            });
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::Invalid {
            key: KEY,
            message: "has no host".into(),
        });
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(ConfigError::Invalid {
            key: KEY,
            message: "must be scheme, host and optional port only (no path, query, fragment or credentials)".into(),
        });
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
