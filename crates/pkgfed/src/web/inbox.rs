//! `POST /inbox` (shared) and `POST /packages/{handle}/inbox`.
//!
//! First the rate limits of the sender's host and address (429, before anything is
//! read or fetched: `web::limits`), then the body within the size limit (413 past
//! it) and the body read timeout (408), then the inbound pipeline; 202 when accepted
//! (also for a duplicate). Every answer is counted in `pkgfed_inbox_requests_total`
//! by status, and each limit's refusals in `pkgfed_inbound_refused_total` by reason.

use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::{Error, Result};
use crate::inbound::{self, InboundRequest, parse};
use crate::telemetry::metrics::{INBOX_REQUESTS, RefusedReason, status_label};
use crate::web::AppState;
use crate::web::limits::Requester;

/// `POST /inbox`
pub async fn shared(
    State(state): State<AppState>,
    who: Requester,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, who, method, uri, headers, body, None).await
}

/// `POST /packages/{handle}/inbox`
pub async fn personal(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    who: Requester,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, who, method, uri, headers, body, Some(handle)).await
}

async fn receive(
    state: AppState,
    who: Requester,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    inbox_of: Option<String>,
) -> Response {
    let response = match accept(state, who, method, uri, headers, body, inbox_of).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => e.into_response(),
    };
    let status = status_label(response.status().as_u16());
    metrics::counter!(INBOX_REQUESTS, "status" => status).increment(1);
    response
}

async fn accept(
    state: AppState,
    who: Requester,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    inbox_of: Option<String>,
) -> Result<()> {
    state.limits().inbox(&who)?;
    let limit = state.settings.max_body_bytes;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        RefusedReason::BodyTooLarge.count();
        return Err(parse::too_large(limit).into());
    }
    let timeout = state.settings.limits.body_read_timeout;
    let body = match tokio::time::timeout(timeout, to_bytes(body, limit)).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            RefusedReason::BodyTooLarge.count();
            return Err(parse::too_large(limit).into());
        }
        Err(_) => {
            RefusedReason::SlowClient.count();
            return Err(Error::RequestTimeout(format!(
                "the body did not arrive within {} s (limits.body_read_timeout_seconds)",
                timeout.as_secs()
            )));
        }
    };
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
