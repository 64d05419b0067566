//! What a delivery attempt's result means: success, permanent or transient failure,
//! the suggested action, and what it says about the host's health.
//!
//! | result | class | suggested action | host |
//! |---|---|---|---|
//! | 2xx | success | — | alive |
//! | 401 | permanent | rotate keys (when repeated) | alive |
//! | 403 | permanent | flag the remote server (when repeated) | alive |
//! | 404, 410 | permanent | remove the follower | alive |
//! | other 3xx/4xx | permanent | — | alive |
//! | 429, 5xx | transient (`Retry-After` honoured on 429/503) | — | failing |
//! | timeout, connect, DNS, other network errors | transient | — | failing |
//! | unusable inbox URL (scheme, address, syntax) | permanent | — | — |

use std::time::Duration;

use http::HeaderMap;
use pkgfed_protocol::fetch::FetchError;

use crate::store::delivery::{HostEffect, SuggestedAction};

/// The class of an attempt's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Delivered.
    Success,
    /// Retrying cannot help.
    Permanent {
        /// What to do about it.
        action: Option<SuggestedAction>,
    },
    /// May succeed later.
    Transient {
        /// The server's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
}

/// Classifies an HTTP response.
pub fn classify_status(
    status: u16,
    headers: &HeaderMap,
    now: std::time::SystemTime,
) -> (Class, HostEffect) {
    match status {
        200..=299 => (Class::Success, HostEffect::Alive),
        401 => (
            Class::Permanent {
                action: Some(SuggestedAction::RotateKeys),
            },
            HostEffect::Alive,
        ),
        403 => (
            Class::Permanent {
                action: Some(SuggestedAction::FlagRemoteServer),
            },
            HostEffect::Alive,
        ),
        404 | 410 => (
            Class::Permanent {
                action: Some(SuggestedAction::RemoveFollower),
            },
            HostEffect::Alive,
        ),
        429 | 503 => (
            Class::Transient {
                retry_after: retry_after(headers, now),
            },
            HostEffect::Failing,
        ),
        500..=599 => (Class::Transient { retry_after: None }, HostEffect::Failing),
        _ => (Class::Permanent { action: None }, HostEffect::Alive),
    }
}

/// Classifies a transport or policy error.
pub fn classify_error(error: &FetchError) -> (Class, HostEffect) {
    match error {
        FetchError::UnsupportedScheme { .. }
        | FetchError::InvalidUrl { .. }
        | FetchError::ForbiddenAddress { .. }
        | FetchError::TooManyRedirects { .. }
        | FetchError::Signing(_) => (Class::Permanent { action: None }, HostEffect::Neutral),
        FetchError::Dns(_)
        | FetchError::Connect(_)
        | FetchError::Timeout
        | FetchError::TooLarge { .. }
        | FetchError::Http(_) => (Class::Transient { retry_after: None }, HostEffect::Failing),
    }
}

/// Reads `Retry-After`: delay-seconds or an HTTP date. Capped at 24 hours.
pub fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let d = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(v)
            .ok()?
            .duration_since(now)
            .unwrap_or_default(),
    };
    Some(d.min(Duration::from_secs(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn every_status_class() {
        let h = HeaderMap::new();
        let now = SystemTime::now();
        assert_eq!(
            classify_status(202, &h, now),
            (Class::Success, HostEffect::Alive)
        );
        for (s, action) in [
            (401, SuggestedAction::RotateKeys),
            (403, SuggestedAction::FlagRemoteServer),
            (404, SuggestedAction::RemoveFollower),
            (410, SuggestedAction::RemoveFollower),
        ] {
            assert_eq!(
                classify_status(s, &h, now),
                (
                    Class::Permanent {
                        action: Some(action)
                    },
                    HostEffect::Alive
                ),
                "{s}"
            );
        }
        assert_eq!(
            classify_status(400, &h, now).0,
            Class::Permanent { action: None }
        );
        for s in [429, 500, 502, 503, 504] {
            assert!(
                matches!(
                    classify_status(s, &h, now),
                    (Class::Transient { .. }, HostEffect::Failing)
                ),
                "{s}"
            );
        }
        assert_eq!(classify_error(&FetchError::Timeout).1, HostEffect::Failing);
        assert!(matches!(
            classify_error(&FetchError::UnsupportedScheme {
                scheme: "ftp".into()
            }),
            (Class::Permanent { action: None }, HostEffect::Neutral)
        ));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::now();
        let mut h = HeaderMap::new();
        h.insert("retry-after", "120".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(now + Duration::from_secs(600))
                .parse()
                .unwrap(),
        );
        let d = retry_after(&h, now).unwrap();
        assert!(
            d <= Duration::from_secs(600) && d >= Duration::from_secs(598),
            "{d:?}"
        );
        h.insert("retry-after", "999999999".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(24 * 3600)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
        let (class, _) = classify_status(
            429,
            &{
                let mut h = HeaderMap::new();
                h.insert("retry-after", "30".parse().unwrap());
                h
            },
            now,
        );
        assert_eq!(
            class,
            Class::Transient {
                retry_after: Some(Duration::from_secs(30))
            }
        );
    }
}
