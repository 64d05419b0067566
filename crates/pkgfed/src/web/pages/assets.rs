//! `GET /static/pkgfed.css` and `GET /static/copy.js`: the one stylesheet and the
//! one script (the copy button), compiled into the binary and served by pkgfed
//! itself (no CDN).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../../static/pkgfed.css");
const COPY_JS: &str = include_str!("../../../static/copy.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Not immutable: the names carry no version, so a new release must be picked up.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

/// `GET /static/pkgfed.css`
pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

/// `GET /static/copy.js`
pub async fn copy_js() -> Response {
    asset("text/javascript; charset=utf-8", COPY_JS)
}
