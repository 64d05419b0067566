//! `GET /api/v1/admin/hosts`: every host pkgfed has delivered to, with its circuit
//! breaker state, availability and queue depth.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::Result;
use crate::store::delivery::HostState;
use crate::web::AppState;

/// `GET /hosts` answer.
#[derive(Debug, Serialize)]
pub struct HostsResponse {
    /// The delivery clock's now (ms): the circuit states were computed against it.
    now: i64,
    /// By host name.
    hosts: Vec<HostState>,
}

/// `GET /hosts`.
pub async fn list(State(state): State<AppState>) -> Result<Json<HostsResponse>> {
    let now = state.clock.now_ms();
    Ok(Json(HostsResponse {
        now,
        hosts: state.store.hosts(now).await?,
    }))
}
