//! One layer over every route: a request id, a tracing span, and the latency
//! histogram.
//!
//! The request id is the client's `X-Request-Id` when it is sane (1–128 of
//! `A-Z a-z 0-9 - _ . : / + = @`), else a fresh UUIDv7; it is echoed in the response's
//! `X-Request-Id`. Every log line written while the request is handled carries it,
//! because it is a field of the request's span. The span and the histogram name the
//! matched route template (`/packages/{handle}`), never the raw path, so labels stay
//! few and no query string (or secret in one) reaches a log line. A line per request
//! is logged at `debug` on target `pkgfed::access` (`PKGFED_LOG=info,pkgfed::access=debug`).

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::telemetry::metrics::{HTTP_REQUEST_DURATION, status_label};

/// `X-Request-Id`.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request id kept.
const MAX_REQUEST_ID: usize = 128;

/// The middleware (`axum::middleware::from_fn(observe)`).
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers().get(&X_REQUEST_ID));
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| intern(p.as_str()));
    let method = method_label(request.method());
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method,
        route
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route, "method" => method, "status" => status_label(status))
        .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::debug!(target: "pkgfed::access", status, micros = elapsed.as_micros() as u64, "request finished");
    });
    response.headers_mut().insert(X_REQUEST_ID.clone(), id);
    response
}

/// The client's id when it is sane, else a new one.
fn request_id(incoming: Option<&HeaderValue>) -> HeaderValue {
    if let Some(v) = incoming
        && (1..=MAX_REQUEST_ID).contains(&v.len())
        && v.as_bytes().iter().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'=' | b'@')
        })
    {
        return v.clone();
    }
    let id = fresh_id();
    let mut buf = uuid::Uuid::encode_buffer();
    // A hyphenated UUID is always a valid header value.
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut buf))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// A UUIDv7 (milliseconds since the epoch, then 74 bits that differ per id) made
/// without a system call: `Uuid::now_v7` asks the kernel for random bytes on every
/// call (a `getrandom` syscall per request). Here they are a keyed hash (the
/// process's random SipHash keys) of a process-wide counter, so ids are unique in
/// the process and unpredictable across processes; they are labels, not secrets.
fn fresh_id() -> uuid::Uuid {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(RandomState::new);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let (a, b) = (keys.hash_one(n), keys.hash_one(!n));
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes()[..2]);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// Methods as static label values (anything unusual is `other`).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route template as a `&'static str`, so labels need no allocation per request.
/// The set is bounded by the router's routes (templates, not raw paths).
fn intern(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(r) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return r;
    }
    let mut set = routes.write().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = set.get(route) {
        return r;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        let kept = HeaderValue::from_static("req-42_a.b:c/d+e=f@g");
        assert_eq!(request_id(Some(&kept)), kept);
        for bad in ["", "has space", "quote\"", "<script>"] {
            let v = HeaderValue::from_str(bad).unwrap_or_else(|_| HeaderValue::from_static("x"));
            let id = request_id(Some(&v));
            assert_ne!(id, v, "{bad:?}");
            assert_eq!(id.len(), 36, "a UUID replaces {bad:?}");
        }
        let long = HeaderValue::from_str(&"a".repeat(129))
            .unwrap_or_else(|_| HeaderValue::from_static("x"));
        assert_eq!(request_id(Some(&long)).len(), 36);
        assert_ne!(request_id(None), request_id(None), "fresh ids differ");
        let id = fresh_id();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn routes_are_interned_once() {
        let a = intern("/packages/{handle}");
        let b = intern(&String::from("/packages/{handle}"));
        assert!(std::ptr::eq(a, b));
    }
}
