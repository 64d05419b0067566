//! `POST /api/v1/admin/packages/import`: creates package actors from a list of
//! purls (what `pkgfed admin import-packages FILE` sends, in batches).
//! `POST /api/v1/admin/packages/rotate-key`: a new key for one package actor.
//!
//! All or nothing at validation: when any purl does not parse or names an ecosystem
//! that is not enabled, the answer is 400 naming its index and nothing is created.
//! Packages that exist already are reported as `existing`, not as errors, so an
//! interrupted import can simply be run again.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use pkgfed_registries::parse_purl;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::PackageMeta;
use crate::web::AppState;

/// Most purls in one request (each gets an RSA key: about 50 ms of CPU).
pub const MAX_IMPORT_BATCH: usize = 100;

/// `POST /packages/import` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Package URLs, e.g. `pkg:cargo/serde`.
    purls: Vec<String>,
}

/// `POST /packages/import` answer.
#[derive(Debug, Default, Serialize)]
pub struct ImportResponse {
    /// Purls of the packages created, as stored (canonical spelling).
    created: Vec<String>,
    /// Purls that were already there.
    existing: Vec<String>,
}

/// `POST /packages/import`.
pub async fn import(
    State(state): State<AppState>,
    body: std::result::Result<Json<ImportRequest>, JsonRejection>,
) -> Result<Json<ImportResponse>> {
    let Json(body) = body.map_err(|e| {
        Error::BadRequest(format!(
            "the body must be {{\"purls\": [\"pkg:…\", …]}}: {}",
            e.body_text()
        ))
    })?;
    if body.purls.is_empty() || body.purls.len() > MAX_IMPORT_BATCH {
        return Err(Error::BadRequest(format!(
            "`purls` must hold 1 to {MAX_IMPORT_BATCH} package URLs, got {}",
            body.purls.len()
        )));
    }
    let ecosystems = &state.settings.ecosystems;
    for (i, purl) in body.purls.iter().enumerate() {
        let (id, _) = parse_purl(purl.trim())
            .map_err(|e| Error::BadRequest(format!("purls[{i}] `{purl}`: {e}")))?;
        if !ecosystems.contains(&id.ecosystem()) {
            return Err(Error::BadRequest(format!(
                "purls[{i}] `{purl}`: ecosystem `{}` is not enabled (packages.ecosystems)",
                id.ecosystem()
            )));
        }
    }
    let mut answer = ImportResponse::default();
    for purl in &body.purls {
        let purl = purl.trim();
        match crate::packages::add(&state.store, ecosystems, purl, PackageMeta::default()).await {
            Ok(p) => answer.created.push(p.purl),
            Err(Error::Conflict(_)) => answer.existing.push(purl.to_owned()),
            Err(e) => return Err(e),
        }
    }
    if !answer.created.is_empty() {
        tracing::info!(
            created = answer.created.len(),
            existing = answer.existing.len(),
            "imported packages"
        );
    }
    Ok(Json(answer))
}

/// `POST /packages/rotate-key` query.
#[derive(Debug, Deserialize)]
pub struct RotateQuery {
    /// The package: its purl or handle.
    package: Option<String>,
}

/// `POST /packages/rotate-key?package=P`: a new key pair for the package actor, and
/// `Update{actor}` with it to every follower (see [`crate::packages::rotate`]).
pub async fn rotate_key(
    State(state): State<AppState>,
    Query(q): Query<RotateQuery>,
) -> Result<Json<crate::packages::rotate::Rotated>> {
    let wanted = q.package.as_deref().map(str::trim).unwrap_or_default();
    if wanted.is_empty() {
        return Err(Error::BadRequest(
            "`package` is required: a purl (pkg:cargo/serde) or a handle".into(),
        ));
    }
    let package = crate::packages::find(&state.store, &state.settings.ecosystems, wanted)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package {wanted} here")))?;
    let rotated =
        crate::packages::rotate::rotate(&state.outbound, state.settings.actor_type, &package)
            .await?;
    Ok(Json(rotated))
}
