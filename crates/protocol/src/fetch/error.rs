//! What can go wrong when fetching a remote document or delivering an activity.
//!
//! A non-2xx status is *not* an error here: the caller decides what a 404 or 410
//! means. These kinds cover only transport failures and policy refusals, so the
//! application can tell "the remote is broken" from "we refused to go there".

use std::net::IpAddr;

/// Why a fetch was refused or could not complete.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL's scheme is neither `http` nor `https`.
    #[error("unsupported URL scheme `{scheme}`: only http and https URLs can be fetched")]
    UnsupportedScheme {
        /// The scheme that was refused, e.g. `ftp`.
        scheme: String,
    },
    /// The URL (or a redirect's `Location`) could not be used.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What was wrong with it.
        reason: String,
    },
    /// The host is, or resolved to, a loopback, private, link-local or otherwise
    /// internal address. Set `FetchConfig::allow_private_addresses` only for local
    /// testing.
    #[error(
        "refusing to connect to `{host}`: it resolves to the non-public address {addr} \
         (private, loopback, link-local or reserved)"
    )]
    ForbiddenAddress {
        /// The host name or IP literal from the URL.
        host: String,
        /// The first forbidden address it resolved to.
        addr: IpAddr,
    },
    /// The host name could not be resolved.
    #[error("DNS lookup failed: {0}")]
    Dns(String),
    /// No connection could be established (refused, reset, TLS handshake failed).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connect timeout or the total timeout of the request (including
    /// redirects and reading the body) elapsed.
    #[error("the request timed out")]
    Timeout,
    /// The response body (or its announced `Content-Length`) exceeds the limit.
    #[error("response body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The configured `max_body_bytes`.
        limit: usize,
    },
    /// More redirects than `FetchConfig::max_redirects` allows.
    #[error("too many redirects: gave up after following {limit}")]
    TooManyRedirects {
        /// The configured `max_redirects`.
        limit: usize,
    },
    /// The request signer failed, so the request was not sent.
    #[error("could not sign the request: {0}")]
    Signing(String),
    /// Any other HTTP-level failure (malformed response, protocol error, broken body).
    #[error("HTTP error: {0}")]
    Http(String),
}
