//! `GET /healthz` and `GET /readyz`: probes for load balancers, container
//! HEALTHCHECKs and Kubernetes, without authentication.
//!
//! `/healthz` says only that the process serves HTTP (a liveness probe: restarting
//! would not fix a database problem, so it does not look at the database). `/readyz`
//! says whether this process can serve requests now: the database answers on a fresh
//! connection and its schema is the one this binary migrates to; otherwise 503 with
//! the reason, so an operator reading the probe's output knows what to fix.
//!
//! With `[broker]` configured, `/readyz` adds a `broker: connected` or
//! `broker: disconnected` line without changing the status: pkgfed works from the
//! database while the broker is away, so taking the process out of a load balancer
//! would not help. The last error is in the admin API (`GET /api/v1/admin/broker`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::web::AppState;

/// What a worker process (`pkgfed serve --role worker`) serves on `server.listen`:
/// `/healthz`, `/readyz` and `/metrics` (no token, like `metrics.listen`: keep a
/// worker's port private), and 404 for the rest.
pub fn worker_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(super::metrics::metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn(super::observe::observe))
}

/// `GET /healthz`: 200 `ok` while the process serves HTTP.
pub async fn healthz() -> Response {
    plain(StatusCode::OK, "ok\n".to_owned())
}

/// `GET /readyz`: 200 `ready`, or 503 with the reason.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let broker = state.broker.as_ref().map_or(String::new(), |b| {
        let up = if b.status().connected() {
            "connected"
        } else {
            "disconnected"
        };
        format!("broker: {up}\n")
    });
    match state.store.unready_reason().await {
        None => plain(StatusCode::OK, format!("ready\n{broker}")),
        Some(reason) => {
            tracing::warn!(%reason, "not ready");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}\n{broker}"),
            )
        }
    }
}

/// A plain-text answer that no cache keeps (a probe must see the current state).
fn plain(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
