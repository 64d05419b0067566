//! `[broker]`: the optional RabbitMQ (AMQP 0-9-1) connection of cluster mode.
//!
//! Absent (`url` empty, the default) pkgfed runs in-process only, as a single
//! process always did. Set, events are also published to the broker and work queued
//! by one process wakes the workers of the others (see `crate::broker`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[broker]`. Its `Debug` output hides the URL's password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    /// `amqp://user:password@host:5672/vhost` (or `amqps://`). Empty: no broker.
    pub url: String,
    /// Events waiting to be published at most; more are dropped (and counted).
    pub event_buffer: usize,
    /// Longest wait between reconnection attempts, in seconds.
    pub reconnect_max_seconds: u64,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            event_buffer: 4096,
            reconnect_max_seconds: 30,
        }
    }
}

impl std::fmt::Debug for BrokerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConfig")
            .field("url", &crate::store::redacted_url(&self.url))
            .field("event_buffer", &self.event_buffer)
            .field("reconnect_max_seconds", &self.reconnect_max_seconds)
            .finish()
    }
}

/// A validated `[broker]`. Its `Debug` output shows where, never the credentials.
#[derive(Clone)]
pub struct BrokerSettings {
    /// The AMQP URL, credentials included. Secret: never log it; log [`Self::address`].
    pub url: String,
    /// `scheme://host:port/vhost`: the URL without its credentials, for logs and status.
    pub address: String,
    /// Capacity of the bounded event buffer.
    pub event_buffer: usize,
    /// Cap of the reconnection back-off.
    pub reconnect_max: Duration,
}

impl std::fmt::Debug for BrokerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerSettings")
            .field("address", &self.address)
            .field("event_buffer", &self.event_buffer)
            .field("reconnect_max", &self.reconnect_max)
            .finish()
    }
}

/// Checks `[broker]`: `None` when no broker is configured.
pub fn validate(c: &BrokerConfig) -> Result<Option<BrokerSettings>, ConfigError> {
    let url = c.url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let parsed: lapin::uri::AMQPUri = url.parse().map_err(|e| ConfigError::Invalid {
        key: "broker.url",
        // The parser's message does not repeat the URL (it may hold a password).
        message: format!(
            "is not an AMQP URL like amqp://user:password@127.0.0.1:5672/%2f ({e}); leave it empty for no broker"
        ),
    })?;
    if !url.starts_with("amqp://") && !url.starts_with("amqps://") {
        return Err(ConfigError::Invalid {
            key: "broker.url",
            message: "must start with amqp:// or amqps://".into(),
        });
    }
    if c.event_buffer == 0 {
        return Err(ConfigError::Invalid {
            key: "broker.event_buffer",
            message: "must be at least 1".into(),
        });
    }
    if c.reconnect_max_seconds == 0 {
        return Err(ConfigError::Invalid {
            key: "broker.reconnect_max_seconds",
            message: "must be greater than 0".into(),
        });
    }
    let scheme = if url.starts_with("amqps://") {
        "amqps"
    } else {
        "amqp"
    };
    let a = &parsed.authority;
    Ok(Some(BrokerSettings {
        url: url.to_owned(),
        // The vhost as a URL writes it (the default `/` is `%2f`).
        address: format!(
            "{scheme}://{}:{}/{}",
            a.host,
            a.port,
            parsed.vhost.replace('%', "%25").replace('/', "%2f")
        ),
        event_buffer: c.event_buffer,
        reconnect_max: Duration::from_secs(c.reconnect_max_seconds),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> BrokerConfig {
        BrokerConfig {
            url: url.into(),
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn empty_url_means_no_broker() {
        assert!(validate(&config("")).unwrap().is_none());
        assert!(validate(&config("  ")).unwrap().is_none());
    }

    #[test]
    fn the_address_has_no_credentials() {
        let s = validate(&config("amqp://pkgfed:hunter2@127.0.0.1:5673/pkgs"))
            .unwrap()
            .unwrap();
        assert_eq!(s.address, "amqp://127.0.0.1:5673/pkgs");
        let s = validate(&config("amqp://u:p@127.0.0.1/%2f"))
            .unwrap()
            .unwrap();
        assert_eq!(s.address, "amqp://127.0.0.1:5672/%2f");
        let shown = format!("{s:?} {:?}", config("amqp://pkgfed:hunter2@127.0.0.1/x"));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn bad_values_name_the_key_without_the_password() {
        for (url, key) in [
            ("http://u:hunter2@127.0.0.1/", "broker.url"),
            ("amqp://u:hunter2@127.0.0.1:notaport/", "broker.url"),
        ] {
            let err = validate(&config(url)).unwrap_err().to_string();
            assert!(err.starts_with(key), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let mut c = config("amqp://127.0.0.1");
        c.event_buffer = 0;
        let err = validate(&c).unwrap_err().to_string();
        assert!(err.starts_with("broker.event_buffer"), "{err}");
    }
}
