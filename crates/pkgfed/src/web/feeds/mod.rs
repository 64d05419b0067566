//! `GET /packages/{handle}/feed.atom` and `GET /packages/{handle}/feed.json`: a
//! package's releases, yanks and advisories as Atom and JSON Feed 1.1, for people
//! who follow packages with a feed reader rather than a fediverse account.
//!
//! Both carry `ETag` (a hash of the body) and `Last-Modified` (the newest entry) and
//! answer `304 Not Modified` to `If-None-Match` with that ETag or, without
//! `If-None-Match`, to an `If-Modified-Since` not older than the newest entry.

pub mod atom;
pub mod entries;
pub mod json;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::web::AppState;
use crate::web::packages::package_or_404;

/// What both formats say about the feed itself.
pub struct FeedMeta {
    /// `serde (cargo) releases and advisories`.
    pub title: String,
    /// The package's description, or a sentence about the feed.
    pub description: String,
    /// The package (the feed's author).
    pub author: String,
    /// The package page.
    pub page_url: String,
    /// This feed in Atom.
    pub atom_url: String,
    /// This feed in JSON Feed.
    pub json_url: String,
}

#[derive(Clone, Copy)]
enum Format {
    Atom,
    Json,
}

/// `GET /packages/{handle}/feed.atom`
pub async fn atom(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, &handle, &headers, Format::Atom).await
}

/// `GET /packages/{handle}/feed.json`
pub async fn json(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    serve(&state, &handle, &headers, Format::Json).await
}

async fn serve(
    state: &AppState,
    handle: &str,
    headers: &HeaderMap,
    format: Format,
) -> Result<Response> {
    let package = package_or_404(state, handle).await?;
    let feed = entries::package_feed(state, &package).await?;
    let meta = FeedMeta {
        title: format!(
            "{} ({}) releases and advisories",
            package.name, package.ecosystem
        ),
        description: package.meta.description.clone().unwrap_or_else(|| {
            format!(
                "New releases, yanks and security advisories of {}",
                package.name
            )
        }),
        author: format!("@{}@{}", package.handle, state.urls.host()),
        page_url: state.urls.actor(&package.handle),
        atom_url: state.urls.actor_sub(&package.handle, "feed.atom"),
        json_url: state.urls.actor_sub(&package.handle, "feed.json"),
    };
    let (body, content_type) = match format {
        Format::Atom => (
            atom::render(&meta, &feed),
            "application/atom+xml; charset=utf-8",
        ),
        Format::Json => (
            json::render(&meta, &feed),
            "application/feed+json; charset=utf-8",
        ),
    };
    let etag = format!(
        "\"{}\"",
        Sha256::digest(body.as_bytes())[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let last_modified = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(feed.updated.max(0) as u64),
    );
    let mut res = if not_modified(headers, &etag, feed.updated) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = body.into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        res
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(res)
}

/// Whether the client's copy is current (RFC 9110 §13.2.2: `If-None-Match` wins over
/// `If-Modified-Since`).
fn not_modified(headers: &HeaderMap, etag: &str, updated: i64) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else {
            return false;
        };
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        });
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|since| since.as_secs() as i64 >= updated)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn conditional_requests() {
        let etag = "\"abc\"";
        assert!(!not_modified(&HeaderMap::new(), etag, 100));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "\"x\", \"abc\""),
            etag,
            100
        ));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "W/\"abc\""),
            etag,
            100
        ));
        assert!(!not_modified(
            &with(header::IF_NONE_MATCH, "\"old\""),
            etag,
            100
        ));
        let at = |s: u64| {
            httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
        };
        assert!(not_modified(
            &with(header::IF_MODIFIED_SINCE, &at(100)),
            etag,
            100
        ));
        assert!(!not_modified(
            &with(header::IF_MODIFIED_SINCE, &at(99)),
            etag,
            100
        ));
        // A stale ETag is not overridden by a recent date.
        let mut both = with(header::IF_NONE_MATCH, "\"old\"");
        both.insert(header::IF_MODIFIED_SINCE, at(200).parse().unwrap());
        assert!(!not_modified(&both, etag, 100));
    }
}
