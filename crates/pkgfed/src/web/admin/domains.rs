//! Domains flagged for review (repeated 403s from their servers), and clearing a
//! flag once an operator has looked:
//! - `GET /api/v1/admin/domains/flagged`
//! - `DELETE /api/v1/admin/domains/flagged/{domain}`

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::delivery::FlaggedDomain;
use crate::web::AppState;

/// `GET /domains/flagged` answer.
#[derive(Debug, Serialize)]
pub struct FlaggedResponse {
    /// Oldest flag first, as the store keeps them.
    flagged_domains: Vec<FlaggedDomain>,
}

/// `DELETE /domains/flagged/{domain}` answer.
#[derive(Debug, Serialize)]
pub struct ClearedResponse {
    /// The domain whose flag was cleared.
    domain: String,
    /// Always true (a domain that was not flagged is a 404).
    cleared: bool,
}

/// `GET /domains/flagged`.
pub async fn flagged(State(state): State<AppState>) -> Result<Json<FlaggedResponse>> {
    Ok(Json(FlaggedResponse {
        flagged_domains: state.store.flagged_domains().await?,
    }))
}

/// `DELETE /domains/flagged/{domain}`.
pub async fn clear(
    State(state): State<AppState>,
    domain: std::result::Result<Path<String>, PathRejection>,
) -> Result<Json<ClearedResponse>> {
    let Path(domain) =
        domain.map_err(|e| Error::BadRequest(format!("bad domain: {}", e.body_text())))?;
    // Flags are stored as hosts (lowercase, with a port when not the default one).
    let domain = domain.trim().to_ascii_lowercase();
    if domain.is_empty() || domain.contains(['/', ' ', '@']) {
        return Err(Error::BadRequest(format!(
            "`{domain}` is not a domain: give a host such as social.example (with :port when flagged with one)"
        )));
    }
    if !state.store.clear_flagged_domain(&domain).await? {
        return Err(Error::NotFound(format!(
            "`{domain}` is not flagged: list flagged domains with GET /api/v1/admin/domains/flagged"
        )));
    }
    tracing::info!(%domain, "flagged domain cleared");
    Ok(Json(ClearedResponse {
        domain,
        cleared: true,
    }))
}
