//! `GET /api/v1/admin/deliveries/failures?actor=&limit=`: reports of deliveries that
//! failed for good (permanently, after exhausting retries, or skipped), newest first.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::delivery::DeliveryReport;
use crate::web::AppState;

/// Reports returned when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest `limit`.
pub const MAX_LIMIT: u32 = 500;

/// Query of [`failures`].
#[derive(Debug, Deserialize)]
pub struct FailuresQuery {
    /// Only deliveries signed by this actor: its id (URL), or a package's purl or
    /// handle.
    actor: Option<String>,
    /// At most this many (1..=500, default 50).
    limit: Option<u32>,
}

/// The failures.
#[derive(Debug, Serialize)]
pub struct FailuresResponse {
    /// The actor id filtered on, when one was given.
    actor: Option<String>,
    /// Newest first.
    failures: Vec<DeliveryReport>,
}

/// `GET /deliveries/failures`.
pub async fn failures(
    State(state): State<AppState>,
    q: std::result::Result<Query<FailuresQuery>, QueryRejection>,
) -> Result<Json<FailuresResponse>> {
    let q = super::query(q)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "`limit` must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let actor = match q.actor.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Some(url.to_owned())
        }
        Some(name) => {
            let package = super::package(&state, name).await?;
            Some(state.urls.actor(&package.handle))
        }
    };
    let failures = state.store.failures(actor.as_deref(), limit).await?;
    Ok(Json(FailuresResponse { actor, failures }))
}
