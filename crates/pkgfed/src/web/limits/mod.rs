//! Inbound rate limits: token buckets per remote host and per client IP on the inbox
//! and on lookups that would create a package (and so ask a registry).
//!
//! They run before anything costs: the host is the `keyId`'s, read from the
//! signature headers as sent (nothing fetched or verified yet), the IP is the peer's
//! or, behind `federation.trusted_proxies`, the forwarded client's ([`client_ip`]).
//! Over a limit the answer is 429 with `Retry-After` from the bucket and a JSON
//! reason, counted as `pkgfed_inbound_refused_total{reason="rate_limited"}`.
//! Addresses in `limits.exempt` (default loopback) are never limited. The buckets
//! are bounded in number ([`bucket`]). docs/security.md ("Limits") has the defaults.

pub mod bucket;
pub mod client_ip;
pub mod lookup;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

pub use bucket::KeyedBuckets;
pub use client_ip::ClientIp;

use crate::config::{LimitSettings, Rate};
use crate::error::Error;
use crate::telemetry::metrics::RefusedReason;
use crate::web::AppState;

/// Who is asking, as far as the limits can tell before verifying anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requester {
    /// The client address (see [`client_ip`]); `None` when unknown.
    pub ip: Option<IpAddr>,
    /// The host of the signature's `keyId`, lowercased, when the request is signed.
    pub host: Option<String>,
}

impl Requester {
    /// The requester of a request with these headers from `ip`.
    pub fn of(ip: ClientIp, headers: &HeaderMap) -> Self {
        Self {
            ip: ip.0,
            host: key_id(headers).and_then(|k| host_of(&k)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(None));
        Ok(Self::of(ip, &parts.headers))
    }
}

/// The bucket sets of one process.
pub struct Limits {
    inbox_per_host: KeyedBuckets<String>,
    inbox_per_ip: KeyedBuckets<IpAddr>,
    lookup_per_host: KeyedBuckets<String>,
    lookup_per_ip: KeyedBuckets<IpAddr>,
    exempt: Vec<IpNet>,
}

/// What a bucket set limits, for the refusal's message.
#[derive(Clone, Copy)]
enum Kind {
    Inbox,
    Lookup,
}

impl Limits {
    /// Empty buckets of the configured shapes.
    pub fn new(s: &LimitSettings) -> Self {
        Self {
            inbox_per_host: KeyedBuckets::new(s.inbox_per_host, s.max_tracked),
            inbox_per_ip: KeyedBuckets::new(s.inbox_per_ip, s.max_tracked),
            lookup_per_host: KeyedBuckets::new(s.lookup_per_host, s.max_tracked),
            lookup_per_ip: KeyedBuckets::new(s.lookup_per_ip, s.max_tracked),
            exempt: s.exempt.clone(),
        }
    }

    /// Takes a token for an inbox POST, or refuses it (429).
    pub fn inbox(&self, who: &Requester) -> Result<(), Error> {
        self.check(Kind::Inbox, who)
    }

    /// Takes a token for a lookup that may ask a registry, or refuses it (429).
    pub fn lookup(&self, who: &Requester) -> Result<(), Error> {
        self.check(Kind::Lookup, who)
    }

    fn check(&self, kind: Kind, who: &Requester) -> Result<(), Error> {
        let (by_host, by_ip) = match kind {
            Kind::Inbox => (&self.inbox_per_host, &self.inbox_per_ip),
            Kind::Lookup => (&self.lookup_per_host, &self.lookup_per_ip),
        };
        let now = Instant::now();
        if let Some(ip) = who.ip.filter(|ip| !self.is_exempt(ip))
            && let Err(wait) = by_ip.take(&bucket_key(ip), now)
        {
            return Err(refusal(kind, &format!("address {ip}"), by_ip.rate(), wait));
        }
        if let Some(host) = &who.host
            && !host_ip(host).is_some_and(|ip| self.is_exempt(&ip))
            && let Err(wait) = by_host.take(host, now)
        {
            return Err(refusal(kind, &format!("host {host}"), by_host.rate(), wait));
        }
        Ok(())
    }

    fn is_exempt(&self, ip: &IpAddr) -> bool {
        self.exempt.iter().any(|n| n.contains(ip))
    }
}

fn refusal(kind: Kind, whom: &str, rate: Rate, wait: std::time::Duration) -> Error {
    RefusedReason::RateLimited.count();
    let retry_after_seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let what = match kind {
        Kind::Inbox => "inbox requests",
        Kind::Lookup => "lookups of packages not known here",
    };
    Error::TooManyRequests {
        message: format!(
            "too many {what} from {whom}: at most {} per minute (bursts of {}); retry after {retry_after_seconds} s",
            rate.per_period, rate.burst
        ),
        retry_after_seconds,
    }
}

/// IPv6 clients are limited per /64, the block one subscriber usually holds: a
/// single address of it is free to choose.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The `keyId` (cavage `Signature` / `Authorization: Signature`) or `keyid`
/// (RFC 9421 `Signature-Input`) parameter, as sent. Not a full parse: the limits
/// only need a bucket to charge; the pipeline parses and verifies properly later.
pub fn key_id(headers: &HeaderMap) -> Option<String> {
    let value = ["signature-input", "signature", "authorization"]
        .into_iter()
        .find_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))?;
    let lower = value.to_ascii_lowercase();
    let at = lower.find("keyid=\"")? + "keyid=\"".len();
    let len = value[at..].find('"')?;
    Some(value[at..at + len].to_owned())
}

/// The lowercased host of a key id URL (without port).
fn host_of(key_id: &str) -> Option<String> {
    let url = url::Url::parse(key_id).ok()?;
    url.host_str().map(str::to_ascii_lowercase)
}

/// The address a host names, when it is an IP literal (`[::1]` included).
fn host_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Middleware: records each request's [`ClientIp`] from the connection's peer
/// address and, behind a trusted proxy, its forwarding headers.
pub async fn resolve_client(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = peer.map(|peer| {
        client_ip::client_ip(peer, req.headers(), &state.settings.limits.trusted_proxies)
    });
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

#[cfg(test)]
mod tests;
