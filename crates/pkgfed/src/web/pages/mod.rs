//! The people-facing HTML pages, rendered on the server from compile-time templates
//! (askama, `crates/pkgfed/templates/`), readable without JavaScript or CSS.
//!
//! Pages share URLs with the ActivityPub documents: a browser asking for
//! `/packages/{handle}` gets [`package`]'s page, an ActivityPub client the actor
//! (see `web::negotiate`). Errors a browser meets become an HTML page with the same
//! status and message ([`error_page`]).
//!
//! | path | module |
//! |---|---|
//! | `/`, `/search?q=` | [`home`] |
//! | `POST /follow` (remote follow) | [`follow`] |
//! | `/packages/{handle}` (HTML) | [`package`] |
//! | `/packages/{handle}/releases/…`, `/advisories/…` (HTML) | [`post`] |
//! | `/static/pkgfed.css`, `/static/copy.js` | [`assets`] |

pub mod assets;
pub mod cache;
pub mod follow;
pub mod home;
pub mod package;
pub mod post;
pub mod views;

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};
use crate::web::AppState;
use crate::web::negotiate::{Representation, negotiate};

/// What every page's frame shows: the server's host and base URL.
pub struct Site<'a> {
    /// `pkgs.example.org` (with port when not the default).
    pub host: &'a str,
    /// `https://pkgs.example.org`, no trailing slash.
    pub base: &'a str,
}

impl<'a> Site<'a> {
    /// The frame of `state`'s server.
    pub fn of(state: &'a AppState) -> Self {
        Site {
            host: state.urls.host(),
            base: state.urls.base(),
        }
    }
}

/// A rendered page with `status`. `Vary: Accept` because the same URLs serve JSON.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => html_response(status, html),
        Err(e) => Error::Internal(format!("template failed: {e}")).into_response(),
    }
}

/// An HTML answer: `body` with the HTML content type and `Vary: Accept` (the same
/// URL serves JSON to ActivityPub clients).
pub fn html_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut res = (status, body.into()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(Representation::Html.content_type()),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    site: Site<'a>,
    heading: &'a str,
    message: String,
    back: Option<(String, String)>,
}

/// The HTML page for an error: its status, a heading and the error's message (the
/// details of internal errors are logged, not shown).
pub fn error_page(state: &AppState, error: Error, back: Option<(String, String)>) -> Response {
    let status = error.status();
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::GONE => "Gone",
        StatusCode::BAD_REQUEST => "That did not work",
        StatusCode::FORBIDDEN => "Not allowed here",
        StatusCode::SERVICE_UNAVAILABLE => "Try again in a moment",
        StatusCode::TOO_MANY_REQUESTS => "Too many lookups: try again later",
        StatusCode::NOT_ACCEPTABLE => "Not available in that format",
        _ => "Something went wrong",
    };
    let retry_after = error.retry_after();
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "internal error");
        "pkgfed could not answer because of an internal error; it has been logged.".to_owned()
    } else {
        error.to_string()
    };
    let mut res = render(
        status,
        &ErrorPage {
            site: Site::of(state),
            heading,
            message,
            back,
        },
    );
    if let Some(seconds) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    res
}

/// Whether the client prefers HTML (a browser).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ACCEPT)
        && matches!(negotiate(headers, true), Ok(Representation::Html))
}

/// `result`, with an error turned into its HTML page when the client is a browser.
pub fn html_errors(
    state: &AppState,
    headers: &HeaderMap,
    result: Result<Response>,
) -> Result<Response> {
    match result {
        Err(e) if wants_html(headers) => Ok(error_page(state, e, None)),
        other => other,
    }
}

/// Unknown paths: an HTML 404 for browsers, the JSON error for everyone else.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let error = Error::NotFound(format!("there is no page at {}", uri.path()));
    if wants_html(&headers) {
        error_page(&state, error, None)
    } else {
        error.into_response()
    }
}
