//! `/packages/{handle}` and its collections.

pub mod actor;
pub mod collections;
pub mod posts;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::negotiate::Representation;
use crate::error::{Error, Result};
use crate::packages;
use crate::packages::cache::CachedPackage;
use crate::store::Package;
use crate::web::AppState;
use crate::web::limits::Requester;

/// A JSON document with the negotiated content type.
pub fn activity_response(rep: Representation, body: &Value) -> Response {
    activity_bytes_response(rep, Bytes::from(body.to_string()))
}

/// A serialized JSON document with the negotiated content type.
pub fn activity_bytes_response(rep: Representation, body: Bytes) -> Response {
    let mut res = body.into_response();
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
/// `who`'s lookup limits), or 404; from the package cache when it holds the handle.
pub async fn package_or_create(
    state: &AppState,
    who: &Requester,
    handle: &str,
) -> Result<Arc<CachedPackage>> {
    crate::web::limits::lookup::cached_by_handle(state, who, handle)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package actor `{handle}`")))
}
