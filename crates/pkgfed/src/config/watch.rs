//! `[watch]`: intervals, prereleases, first-lookup rules, and the validated
//! [`WatchSettings`] (with the registries from [`super::registries`]).
//!
//! No registry endpoint has a default: pkgfed ships without any public registry host
//! written in it, so an enabled ecosystem needs its endpoint configured. Validation
//! records a missing one in [`WatchSettings::unconfigured`]; `pkgfed serve` refuses
//! to start with one ([`WatchSettings::require_registries`], naming the key), except
//! under `--dev` (a warning; that ecosystem is not watched) or with
//! `watch.enabled = false`.

use std::time::Duration;

use super::ConfigError;
use super::registries::{
    CargoConfig, GenericConfig, NpmConfig, PypiConfig, RegistrySettings, env_name,
};
use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};

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

/// Validates `[watch]` and, through [`super::registries::validate`], the registry
/// sections of the enabled ecosystems. A missing endpoint is recorded in
/// [`WatchSettings::unconfigured`].
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
    let (registries, unconfigured) =
        super::registries::validate(cargo, npm, pypi, generic, ecosystems)?;
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
