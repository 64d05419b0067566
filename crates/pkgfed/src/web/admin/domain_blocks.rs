//! The domain policy at run time (see `federation::domain_policy`):
//! - `GET /api/v1/admin/domain-blocks`: every block (configured and run-time) and
//!   whether allow-list mode is on
//! - `POST /api/v1/admin/domain-blocks` `{"domain": "...", "reason": "..."}`: blocks
//!   a domain and its subdomains from the next request on, persisted
//! - `DELETE /api/v1/admin/domain-blocks/{domain}`: removes a run-time block

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::federation::domain_policy::{ListedBlock, normalise_domain};
use crate::web::AppState;

/// `GET /domain-blocks` answer.
#[derive(Debug, Serialize)]
pub struct BlocksResponse {
    /// Whether only `federation.allowed_domains` are talked to.
    allowlist_mode: bool,
    /// Configured blocks first, then run-time ones, each by domain.
    domain_blocks: Vec<ListedBlock>,
}

/// `POST /domain-blocks` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBlock {
    /// The domain to block (its subdomains are blocked too).
    domain: String,
    /// Why (shown in listings; optional).
    #[serde(default)]
    reason: String,
}

/// `POST` / `DELETE` answer.
#[derive(Debug, Serialize)]
pub struct ChangedResponse {
    /// The domain, normalised (lowercase, ASCII).
    domain: String,
    /// Blocked after this request.
    blocked: bool,
    /// Whether this request changed anything (false: it was already so).
    changed: bool,
}

/// `GET /domain-blocks`.
pub async fn list(State(state): State<AppState>) -> Json<BlocksResponse> {
    let policy = &state.outbound.domains;
    Json(BlocksResponse {
        allowlist_mode: policy.allowlist_mode(),
        domain_blocks: policy.list(),
    })
}

/// `POST /domain-blocks`: 201 when added, 200 when it was blocked already.
pub async fn add(
    State(state): State<AppState>,
    body: std::result::Result<Json<NewBlock>, JsonRejection>,
) -> Result<(StatusCode, Json<ChangedResponse>)> {
    let Json(new) = body.map_err(|e| {
        Error::BadRequest(format!(
            "bad body: {}; send {{\"domain\": \"bad.example\", \"reason\": \"...\"}}",
            e.body_text()
        ))
    })?;
    let domain = normalise_domain(&new.domain)?;
    let reason = new.reason.trim();
    if reason.chars().count() > 500 {
        return Err(Error::BadRequest(
            "`reason` is longer than 500 characters".into(),
        ));
    }
    let changed = state.outbound.domains.block(&domain, reason).await?;
    tracing::info!(%domain, changed, "domain blocked");
    let status = if changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(ChangedResponse {
            domain,
            blocked: true,
            changed,
        }),
    ))
}

/// `DELETE /domain-blocks/{domain}`: 404 when not blocked at run time, 403 for a
/// configured block.
pub async fn remove(
    State(state): State<AppState>,
    domain: std::result::Result<Path<String>, PathRejection>,
) -> Result<Json<ChangedResponse>> {
    let Path(domain) =
        domain.map_err(|e| Error::BadRequest(format!("bad domain: {}", e.body_text())))?;
    let domain = normalise_domain(&domain)?;
    if !state.outbound.domains.unblock(&domain).await? {
        return Err(Error::NotFound(format!(
            "`{domain}` is not blocked at run time: list blocks with GET /api/v1/admin/domain-blocks"
        )));
    }
    tracing::info!(%domain, "domain unblocked");
    let blocked = state.outbound.domains.refusal(&domain).is_some();
    Ok(Json(ChangedResponse {
        domain,
        blocked,
        changed: true,
    }))
}
