//! The core sections of the configuration (`[server]`, `[storage]`,
//! `[federation]`, `[packages]`, `[delivery]`, `[admin]`, `[log]`, `[metrics]`) with
//! their defaults. The
//! watch and registry sections are in `watch.rs` and `registries.rs`.

use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};

/// `[delivery]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Deliveries in flight at once, over all hosts.
    pub concurrency: u32,
    /// Deliveries in flight at once to one host.
    pub per_host_concurrency: u32,
    /// Consecutive failures (network errors, timeouts, 5xx, 429) that open a host's
    /// circuit: it is then probed instead of hammered.
    pub circuit_failure_threshold: u32,
    /// Seconds before the first probe of an open circuit; doubles per failed probe.
    pub circuit_cooldown_seconds: u64,
    /// Longest wait between probes, in seconds.
    pub circuit_max_cooldown_seconds: u64,
    /// A host failing continuously this many days is marked unavailable: new
    /// deliveries to it are recorded as skipped until it recovers.
    pub unavailable_after_days: u64,
    /// Days delivery reports are kept.
    pub report_retention_days: u64,
    /// Recent posts a new follower receives (0 disables backfill).
    pub backfill_count: u32,
    /// Milliseconds between backfilled posts.
    pub backfill_pacing_ms: u64,
}

/// `[admin]`. Its `Debug` output hides the token.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Bearer token of the admin API. Empty: one is generated at first start and
    /// kept in the database (`pkgfed admin token` prints it).
    pub token: String,
}

/// `[log]`
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// How log lines are written to stderr.
    pub format: LogFormat,
}

/// `log.format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event (colours on a terminal).
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `[metrics]`
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Address of a second listener that serves only `GET /metrics`, without a
    /// token, for Prometheus on a private network. Empty: no such listener (the
    /// metrics stay at `/api/v1/admin/metrics` behind the admin token).
    pub listen: String,
}

/// `[server]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Socket address to listen on.
    pub listen: String,
    /// Public base URL (scheme, host, optional port); every URL pkgfed emits uses it.
    pub base_url: String,
    /// Accept a plain `http` base URL. For local testing only.
    pub allow_http: bool,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    pub shutdown_grace_seconds: u64,
}

/// `[storage]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Database location: `sqlite://path/to/file.db` (created if missing).
    pub database_url: String,
}

/// `[federation]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// `Application` or `Service`: the ActivityStreams type of package actors.
    pub actor_type: String,
    /// Largest accepted inbox body in bytes (larger gets 413).
    pub max_body_bytes: usize,
    /// How far `Date`/`created` of a signature may be from now, in seconds.
    pub signature_max_skew_seconds: u64,
    /// How long a fetched remote actor (and its key) is trusted before refetching.
    pub actor_cache_ttl_seconds: u64,
    /// Connect timeout of outbound requests, in seconds.
    pub connect_timeout_seconds: u64,
    /// Total timeout of outbound requests, in seconds.
    pub request_timeout_seconds: u64,
    /// Largest remote document pkgfed reads, in bytes.
    pub max_fetch_bytes: usize,
    /// Domains whose activities are refused with 403 (subdomains included).
    pub blocked_domains: Vec<String>,
    /// Allow-list mode: only these domains (and their subdomains) are talked to.
    pub allowed_domains: Vec<String>,
    /// Turns allow-list mode on: every domain not in `allowed_domains` is refused
    /// like a blocked one (an empty list then refuses every remote server).
    pub allowlist_mode: bool,
    /// Reverse proxies (IPs or CIDRs) whose `X-Forwarded-For` / `Forwarded` header
    /// names the client: only requests from these peers are believed. Empty: the
    /// peer address is the client.
    pub trusted_proxies: Vec<String>,
    /// DANGER, local testing only: let outbound requests reach loopback and private
    /// addresses. Leaves pkgfed open to server-side request forgery.
    pub allow_private_addresses: bool,
}

/// `[packages]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PackagesConfig {
    /// Ecosystems served. With exactly one, handles are the bare package names.
    pub ecosystems: Vec<Ecosystem>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            base_url: String::new(),
            allow_http: false,
            shutdown_grace_seconds: 10,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            database_url: "sqlite://pkgfed.db".into(),
        }
    }
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            actor_type: "Application".into(),
            max_body_bytes: 256 * 1024,
            signature_max_skew_seconds: 3600,
            actor_cache_ttl_seconds: 24 * 3600,
            connect_timeout_seconds: 5,
            request_timeout_seconds: 15,
            max_fetch_bytes: 1024 * 1024,
            blocked_domains: Vec::new(),
            allowed_domains: Vec::new(),
            allowlist_mode: false,
            trusted_proxies: Vec::new(),
            allow_private_addresses: false,
        }
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            concurrency: 64,
            per_host_concurrency: 4,
            circuit_failure_threshold: 5,
            circuit_cooldown_seconds: 60,
            circuit_max_cooldown_seconds: 3600,
            unavailable_after_days: 7,
            report_retention_days: 30,
            backfill_count: 3,
            backfill_pacing_ms: 2000,
        }
    }
}

impl Default for PackagesConfig {
    fn default() -> Self {
        Self {
            ecosystems: Ecosystem::REGISTRIES.to_vec(),
        }
    }
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = if self.token.is_empty() {
            ""
        } else {
            "<redacted>"
        };
        f.debug_struct("AdminConfig")
            .field("token", &token)
            .finish()
    }
}
