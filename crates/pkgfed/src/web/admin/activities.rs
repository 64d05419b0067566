//! `GET /api/v1/admin/activities/status?id=<activity id>`: an outbound activity's
//! status with one row per target inbox and the final reports written so far.
//! Activity ids are URLs, hence a query parameter rather than a path segment.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::delivery::{ActivityStatusView, DeliveryReport};
use crate::web::AppState;

/// Query of [`status`].
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// The activity id.
    id: Option<String>,
}

/// The activity's status, deliveries and reports.
#[derive(Debug, Serialize)]
pub struct StatusResponse {
    /// Status and per-inbox deliveries.
    #[serde(flatten)]
    activity: ActivityStatusView,
    /// Final outcomes per inbox (success or failure), in the order they happened.
    reports: Vec<DeliveryReport>,
}

/// `GET /activities/status`.
pub async fn status(
    State(state): State<AppState>,
    q: std::result::Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Json<StatusResponse>> {
    let id = super::query(q)?.id.unwrap_or_default();
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::BadRequest(
            "`id` is required: the outbound activity's id (a URL)".into(),
        ));
    }
    let Some(activity) = state.store.activity_status(id).await? else {
        return Err(Error::NotFound(format!(
            "no outbound activity with id `{id}`"
        )));
    };
    let reports = state.store.reports_for(id).await?;
    Ok(Json(StatusResponse { activity, reports }))
}
