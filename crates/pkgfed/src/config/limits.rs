//! `[limits]`: what one remote host or client may ask of pkgfed before it is refused
//! (token buckets on the inbox and on lookups that create packages), the shape of an
//! acceptable inbox body (JSON depth and element count) and how slowly a client may
//! send a request (header and body read timeouts). `federation.trusted_proxies`
//! decides which client address the per-IP buckets see; it is validated here too.
//! docs/security.md ("Limits") explains each default.

use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[limits]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Inbox POSTs per minute one remote host (the `keyId`'s host) may send on
    /// average; 0 turns the limit off.
    pub inbox_per_host_per_minute: u32,
    /// How many inbox POSTs one remote host may send in a burst.
    pub inbox_per_host_burst: u32,
    /// Inbox POSTs per minute one client IP may send on average; 0: off.
    pub inbox_per_ip_per_minute: u32,
    /// How many inbox POSTs one client IP may send in a burst.
    pub inbox_per_ip_burst: u32,
    /// Lookups of unknown packages (each may ask a registry) per minute per client
    /// IP; 0: off. Lookups of known packages are never limited.
    pub lookup_per_ip_per_minute: u32,
    /// How many such lookups one client IP may make in a burst.
    pub lookup_per_ip_burst: u32,
    /// Lookups of unknown packages per minute per remote host (signed GETs, by
    /// `keyId` host); 0: off.
    pub lookup_per_host_per_minute: u32,
    /// How many such lookups one remote host may make in a burst.
    pub lookup_per_host_burst: u32,
    /// Most hosts or IPs tracked per bucket set; past it, idle buckets are dropped
    /// and newcomers share one overflow bucket, so a flood of distinct addresses
    /// cannot grow memory.
    pub max_tracked: u32,
    /// Client IPs and `keyId` hosts (IP literals) that no bucket limits, as IPs or
    /// CIDRs. Default: loopback (the machine itself, a local reverse proxy).
    pub exempt: Vec<String>,
    /// Deepest nesting of arrays and objects accepted in an inbox body.
    pub json_max_depth: u32,
    /// Most JSON values (objects, arrays, strings, numbers, …) in an inbox body.
    pub json_max_elements: u32,
    /// Seconds a client may take to send a request's headers (HTTP/1); past it the
    /// connection is closed.
    pub header_read_timeout_seconds: u64,
    /// Seconds a client may take to send an inbox body; past it, 408.
    pub body_read_timeout_seconds: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            inbox_per_host_per_minute: 3000,
            inbox_per_host_burst: 1000,
            inbox_per_ip_per_minute: 6000,
            inbox_per_ip_burst: 2000,
            lookup_per_ip_per_minute: 60,
            lookup_per_ip_burst: 30,
            lookup_per_host_per_minute: 60,
            lookup_per_host_burst: 30,
            max_tracked: 100_000,
            exempt: vec!["127.0.0.0/8".into(), "::1/128".into()],
            json_max_depth: 32,
            json_max_elements: 10_000,
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 20,
        }
    }
}

/// One token bucket's shape: `per_period` tokens refill over `period`, at most
/// `burst` are kept. `per_period == 0` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Tokens added per `period`.
    pub per_period: u32,
    /// The refill period.
    pub period: Duration,
    /// Bucket capacity.
    pub burst: u32,
}

impl Rate {
    /// Whether this rate limits anything.
    pub fn is_limited(&self) -> bool {
        self.per_period > 0
    }
}

/// Validated `[limits]` plus `federation.trusted_proxies`.
#[derive(Clone, Debug)]
pub struct LimitSettings {
    /// Inbox POSTs per remote host.
    pub inbox_per_host: Rate,
    /// Inbox POSTs per client IP.
    pub inbox_per_ip: Rate,
    /// Creating lookups per client IP.
    pub lookup_per_ip: Rate,
    /// Creating lookups per remote host.
    pub lookup_per_host: Rate,
    /// Most keys per bucket set.
    pub max_tracked: usize,
    /// Never limited.
    pub exempt: Vec<IpNet>,
    /// Peers whose `X-Forwarded-For` / `Forwarded` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// JSON nesting bound.
    pub json_max_depth: usize,
    /// JSON value count bound.
    pub json_max_elements: usize,
    /// HTTP/1 header read timeout.
    pub header_read_timeout: Duration,
    /// Inbox body read timeout.
    pub body_read_timeout: Duration,
}

/// Parses `list` (IPs or CIDRs) of `key`.
fn networks(key: &'static str, list: &[String]) -> Result<Vec<IpNet>, ConfigError> {
    list.iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError::Invalid {
                    key,
                    message: format!(
                        "`{s}` is not an IP address or CIDR like 10.0.0.0/8 or ::1/128"
                    ),
                })
        })
        .collect()
}

/// Checks `[limits]` and `federation.trusted_proxies`.
pub fn validate(
    l: &LimitsConfig,
    trusted_proxies: &[String],
) -> Result<LimitSettings, ConfigError> {
    let rate = |key: &'static str, per_period: u32, burst: u32, period: Duration| {
        if per_period > 0 && burst == 0 {
            return Err(ConfigError::Invalid {
                key,
                message: "must be at least 1 while its rate is on (set the rate to 0 to turn the limit off)"
                    .into(),
            });
        }
        Ok(Rate {
            per_period,
            period,
            burst,
        })
    };
    let minute = Duration::from_secs(60);
    let positive = |key: &'static str, v: u64| {
        if v == 0 {
            Err(ConfigError::Invalid {
                key,
                message: "must be greater than 0".into(),
            })
        } else {
            Ok(v)
        }
    };
    Ok(LimitSettings {
        inbox_per_host: rate(
            "limits.inbox_per_host_burst",
            l.inbox_per_host_per_minute,
            l.inbox_per_host_burst,
            minute,
        )?,
        inbox_per_ip: rate(
            "limits.inbox_per_ip_burst",
            l.inbox_per_ip_per_minute,
            l.inbox_per_ip_burst,
            minute,
        )?,
        lookup_per_ip: rate(
            "limits.lookup_per_ip_burst",
            l.lookup_per_ip_per_minute,
            l.lookup_per_ip_burst,
            minute,
        )?,
        lookup_per_host: rate(
            "limits.lookup_per_host_burst",
            l.lookup_per_host_per_minute,
            l.lookup_per_host_burst,
            minute,
        )?,
        max_tracked: positive("limits.max_tracked", l.max_tracked.into())? as usize,
        exempt: networks("limits.exempt", &l.exempt)?,
        trusted_proxies: networks("federation.trusted_proxies", trusted_proxies)?,
        json_max_depth: positive("limits.json_max_depth", l.json_max_depth.into())? as usize,
        json_max_elements: positive("limits.json_max_elements", l.json_max_elements.into())?
            as usize,
        header_read_timeout: Duration::from_secs(positive(
            "limits.header_read_timeout_seconds",
            l.header_read_timeout_seconds,
        )?),
        body_read_timeout: Duration::from_secs(positive(
            "limits.body_read_timeout_seconds",
            l.body_read_timeout_seconds,
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_exempt_loopback() {
        let s = validate(&LimitsConfig::default(), &[]).unwrap();
        assert!(s.inbox_per_host.is_limited());
        assert_eq!(s.exempt.len(), 2);
        assert!(s.exempt[0].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert!(s.trusted_proxies.is_empty());
    }

    #[test]
    fn proxies_take_ips_and_cidrs_and_name_the_key_when_wrong() {
        let s = validate(
            &LimitsConfig::default(),
            &["10.0.0.1".into(), "fd00::/8".into()],
        )
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        let err = validate(&LimitsConfig::default(), &["nginx".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("federation.trusted_proxies"), "{err}");
        assert!(err.contains("`nginx`"), "{err}");
    }

    #[test]
    fn zero_burst_with_a_rate_is_refused_and_zero_rate_is_off() {
        let c = LimitsConfig {
            inbox_per_ip_burst: 0,
            ..LimitsConfig::default()
        };
        let err = validate(&c, &[]).unwrap_err().to_string();
        assert!(err.contains("limits.inbox_per_ip_burst"), "{err}");
        let c = LimitsConfig {
            inbox_per_ip_per_minute: 0,
            inbox_per_ip_burst: 0,
            ..LimitsConfig::default()
        };
        assert!(!validate(&c, &[]).unwrap().inbox_per_ip.is_limited());
    }
}
