//! The domain blocklist: activities and keys from a blocked domain (or any of its
//! subdomains) are refused with 403 before anything is fetched or stored.

use crate::inbound::error::{InboundError, Result};

/// Whether `host` is `domain` or a subdomain of it, for any blocked domain.
pub fn is_blocked(blocked: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    blocked.iter().any(|d| {
        host == *d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// Refuses a URL whose host is blocked.
pub fn check_url(blocked: &[String], url: &str) -> Result<()> {
    if blocked.is_empty() {
        return Ok(());
    }
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if is_blocked(blocked, &host) {
        return Err(InboundError::Forbidden(format!(
            "domain {host} is blocked on this server"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_domain_and_subdomains_only() {
        let b = vec!["bad.example".to_string()];
        assert!(is_blocked(&b, "bad.example"));
        assert!(is_blocked(&b, "social.BAD.example"));
        assert!(!is_blocked(&b, "notbad.example"));
        assert!(!is_blocked(&b, "good.example"));
        assert!(check_url(&b, "https://x.bad.example/users/a#main-key").is_err());
        assert!(check_url(&b, "https://ok.example/users/a").is_ok());
    }
}
