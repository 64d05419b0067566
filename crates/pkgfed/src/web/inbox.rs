//! `POST /inbox` (shared) and `POST /packages/{handle}/inbox`.
//!
//! Reads the body within the size limit (413 past it), then hands the request to the
//! inbound pipeline; 202 when accepted (also for a duplicate). Every answer is
//! counted in `pkgfed_inbox_requests_total` by status.

use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};
use crate::inbound::{self, InboundRequest, parse};
use crate::telemetry::metrics::{INBOX_REQUESTS, status_label};
use crate::web::AppState;

/// `POST /inbox`
pub async fn shared(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, method, uri, headers, body, None).await
}

/// `POST /packages/{handle}/inbox`
pub async fn personal(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, method, uri, headers, body, Some(handle)).await
}

async fn receive(
    state: AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    inbox_of: Option<String>,
) -> Response {
    let response = match accept(state, method, uri, headers, body, inbox_of).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => e.into_response(),
    };
    let status = status_label(response.status().as_u16());
    metrics::counter!(INBOX_REQUESTS, "status" => status).increment(1);
    response
}

async fn accept(
    state: AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    inbox_of: Option<String>,
) -> Result<()> {
    let limit = state.settings.max_body_bytes;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(parse::too_large(limit).into());
    }
    let body = to_bytes(body, limit)
        .await
        .map_err(|_| Error::from(parse::too_large(limit)))?;
    if let Some(handle) = &inbox_of {
        crate::web::packages::package_or_404(&state, handle).await?;
    }
    // HTTP/2 carries the host as `:authority`; signatures cover it as `host`.
    let mut headers = headers;
    if !headers.contains_key(axum::http::header::HOST)
        && let Some(authority) = uri.authority()
        && let Ok(v) = axum::http::HeaderValue::from_str(authority.as_str())
    {
        headers.insert(axum::http::header::HOST, v);
    }
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| uri.path().to_owned());
    let req = InboundRequest {
        method,
        path_and_query,
        headers,
        body,
        inbox_of,
    };
    match inbound::run(&state.inbound, req).await.map_err(Error::from) {
        Ok(_) => Ok(()),
        Err(e @ (Error::Store(_) | Error::Internal(_) | Error::Failed(_))) => Err(e),
        Err(e) => {
            tracing::info!(status = e.status().as_u16(), reason = %e, "inbox refused a request");
            Err(e)
        }
    }
}
