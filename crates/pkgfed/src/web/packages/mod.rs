//! `/packages/{handle}` and its collections.

pub mod actor;
pub mod collections;
pub mod posts;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::negotiate::Representation;
use crate::error::{Error, Result};
use crate::packages;
use crate::store::Package;
use crate::web::AppState;
use crate::web::limits::Requester;

/// A JSON document with the negotiated content type.
pub fn activity_response(rep: Representation, body: &Value) -> Response {
    let mut res = body.to_string().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rep.content_type()),
    );
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

/// The package with this handle, or 404.
pub async fn package_or_404(state: &AppState, handle: &str) -> Result<Package> {
    packages::find_by_handle(&state.store, &state.settings.ecosystems, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package actor `{handle}`")))
}

/// The package with this handle, created from its registry on first lookup (within
/// `who`'s lookup limits), or 404.
pub async fn package_or_create(state: &AppState, who: &Requester, handle: &str) -> Result<Package> {
    crate::web::limits::lookup::by_handle(state, who, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package actor `{handle}`")))
}
