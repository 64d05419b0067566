//! `[advisories]`: where security advisories come from. Every location is
//! configuration; with none, advisories are off.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::ConfigError;

/// `[advisories]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdvisoriesConfig {
    /// Local directories (or git checkouts) of OSV JSON files and RustSec-style
    /// Markdown advisories, re-read incrementally.
    pub directories: Vec<String>,
    /// Base URL of an OSV-compatible query API (`<url>/v1/querybatch`, …); empty: none.
    pub osv_api_url: String,
    /// How often the sources are read.
    pub interval_seconds: u64,
    /// Requests per second to the OSV API.
    pub requests_per_second: f64,
}

impl Default for AdvisoriesConfig {
    fn default() -> Self {
        Self {
            directories: Vec::new(),
            osv_api_url: String::new(),
            interval_seconds: 900,
            requests_per_second: 1.0,
        }
    }
}

/// Validated advisory sources.
#[derive(Clone, Debug, Default)]
pub struct AdvisorySettings {
    /// OSV / RustSec directories.
    pub directories: Vec<PathBuf>,
    /// OSV-compatible API.
    pub osv_api_url: Option<Url>,
    /// Read interval.
    pub interval: Duration,
    /// API rate limit.
    pub requests_per_second: f64,
}

impl AdvisorySettings {
    /// Whether any source is configured.
    pub fn enabled(&self) -> bool {
        !self.directories.is_empty() || self.osv_api_url.is_some()
    }
}

/// Checks `[advisories]`: directories must exist, the API must be an http(s) URL.
pub fn validate(c: &AdvisoriesConfig) -> Result<AdvisorySettings, ConfigError> {
    let mut directories = Vec::new();
    for d in c
        .directories
        .iter()
        .map(|d| d.trim())
        .filter(|d| !d.is_empty())
    {
        let path = PathBuf::from(d);
        if !path.is_dir() {
            return Err(ConfigError::Invalid {
                key: "advisories.directories",
                message: format!(
                    "`{d}` is not a directory: give directories of OSV JSON or RustSec advisories"
                ),
            });
        }
        directories.push(path);
    }
    let osv_api_url = match c.osv_api_url.trim() {
        "" => None,
        raw => {
            let url = Url::parse(raw)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            Some(url.ok_or_else(|| ConfigError::Invalid {
                key: "advisories.osv_api_url",
                message: format!(
                    "`{raw}` is not an http(s) URL: set the base URL of an OSV-compatible API"
                ),
            })?)
        }
    };
    if c.interval_seconds == 0 {
        return Err(ConfigError::Invalid {
            key: "advisories.interval_seconds",
            message: "must be greater than 0".into(),
        });
    }
    if !(c.requests_per_second.is_finite() && c.requests_per_second > 0.0) {
        return Err(ConfigError::Invalid {
            key: "advisories.requests_per_second",
            message: "must be a positive number".into(),
        });
    }
    Ok(AdvisorySettings {
        directories,
        osv_api_url,
        interval: Duration::from_secs(c.interval_seconds),
        requests_per_second: c.requests_per_second,
    })
}
