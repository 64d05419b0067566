//! The checks every hop of a fetch passes before a request is sent.
//!
//! Kept apart from the HTTP plumbing so the policy can be tested without a
//! network: the first URL and every redirect target go through [`check_target`].

use http::{HeaderMap, StatusCode, header};
use url::{Host, Url};

use super::address::is_forbidden_address;
use super::error::FetchError;

/// Refuses a URL that is not http(s), has no host, or names a forbidden IP
/// literal. Host *names* are checked later, by the resolver, because only the
/// resolved addresses say where a name really points; IP literals never reach
/// the resolver, so they are checked here.
pub(crate) fn check_target(url: &Url, allow_private_addresses: bool) -> Result<(), FetchError> {
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(FetchError::UnsupportedScheme {
                scheme: other.to_owned(),
            });
        }
    }
    let host = url.host().ok_or_else(|| FetchError::InvalidUrl {
        reason: format!("`{url}` has no host"),
    })?;
    if allow_private_addresses {
        return Ok(());
    }
    // The url crate has already normalised odd IPv4 spellings (`0x7f.1`,
    // `2130706433`) into `Host::Ipv4`, so they cannot slip through as names.
    let literal = match host {
        Host::Ipv4(v4) => Some(v4.into()),
        Host::Ipv6(v6) => Some(v6.into()),
        Host::Domain(_) => None,
    };
    match literal {
        Some(addr) if is_forbidden_address(addr) => Err(FetchError::ForbiddenAddress {
            host: host.to_string(),
            addr,
        }),
        _ => Ok(()),
    }
}

/// The statuses whose `Location` a GET follows.
pub(crate) fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// Where a redirect response points, resolved against the URL that answered.
/// `None` when there is no `Location` header: the response is then final.
pub(crate) fn redirect_location(
    current: &Url,
    headers: &HeaderMap,
) -> Result<Option<Url>, FetchError> {
    let Some(value) = headers.get(header::LOCATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| FetchError::InvalidUrl {
        reason: format!("redirect from `{current}` has a non-ASCII Location header"),
    })?;
    current
        .join(text)
        .map(Some)
        .map_err(|error| FetchError::InvalidUrl {
            reason: format!("redirect from `{current}` to `{text}`: {error}"),
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn only_http_and_https_are_accepted() {
        assert!(check_target(&url("https://example.com/a"), false).is_ok());
        assert!(check_target(&url("http://example.com/a"), false).is_ok());
        for bad in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/"] {
            let error = check_target(&url(bad), true).unwrap_err();
            assert!(
                matches!(error, FetchError::UnsupportedScheme { .. }),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn forbidden_ip_literals_are_refused_before_any_request() {
        for bad in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00:ec2::254]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://10.1.2.3/",
        ] {
            let error = check_target(&url(bad), false).unwrap_err();
            assert!(
                matches!(error, FetchError::ForbiddenAddress { .. }),
                "{bad}: {error:?}"
            );
        }
        assert!(check_target(&url("http://169.254.169.254/"), true).is_ok());
        assert!(check_target(&url("http://93.184.216.34/"), false).is_ok());
    }

    #[test]
    fn forbidden_address_names_the_host() {
        let error = check_target(&url("http://[::1]:9/x"), false).unwrap_err();
        let FetchError::ForbiddenAddress { host, addr } = error else {
            panic!("unexpected {error:?}");
        };
        assert_eq!(host, "[::1]");
        assert!(addr.is_loopback());
    }

    #[test]
    fn relative_and_absolute_locations_resolve_against_the_current_url() {
        let current = url("https://a.example/users/alice?x=1");
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, "/users/bob".parse().unwrap());
        let next = redirect_location(&current, &headers).unwrap().unwrap();
        assert_eq!(next.as_str(), "https://a.example/users/bob");

        headers.insert(header::LOCATION, "carol".parse().unwrap());
        let next = redirect_location(&current, &headers).unwrap().unwrap();
        assert_eq!(next.as_str(), "https://a.example/users/carol");

        headers.insert(header::LOCATION, "http://169.254.169.254/".parse().unwrap());
        let next = redirect_location(&current, &headers).unwrap().unwrap();
        assert!(matches!(
            check_target(&next, false),
            Err(FetchError::ForbiddenAddress { .. })
        ));

        assert!(
            redirect_location(&current, &HeaderMap::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn followed_redirect_statuses() {
        for code in [301, 302, 303, 307, 308] {
            assert!(is_followed_redirect(StatusCode::from_u16(code).unwrap()));
        }
        for code in [200, 300, 304, 305, 404] {
            assert!(!is_followed_redirect(StatusCode::from_u16(code).unwrap()));
        }
    }
}
