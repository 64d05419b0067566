//! `GET /packages/{handle}`: the actor document, or its HTML page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{activity_bytes_response, package_or_create};
use crate::error::Result;
use crate::federation::actor;
use crate::web::AppState;
use crate::web::limits::Requester;
use crate::web::negotiate::{Representation, negotiate};
use crate::web::pages;

/// `GET /packages/{handle}`
pub async fn get(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    who: Requester,
    headers: HeaderMap,
) -> Result<Response> {
    let rep = negotiate(&headers, true)?;
    if rep == Representation::Html
        && let Some(html) = state.page_cache.get(&handle)
    {
        return Ok(pages::html_response(StatusCode::OK, html));
    }
    let cached = match package_or_create(&state, &who, &handle).await {
        Err(e) if rep == Representation::Html => return Ok(pages::error_page(&state, e, None)),
        other => other?,
    };
    let package = &cached.package;
    // The document's id is the URL it is served at: other spellings redirect there.
    if package.handle != handle {
        let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
        if let Ok(v) = HeaderValue::from_str(&state.urls.actor(&package.handle)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(res);
    }
    Ok(match rep {
        Representation::Html => pages::package::page(&state, package)
            .await
            .unwrap_or_else(|e| pages::error_page(&state, e, None)),
        // Rendered once per cached entry: the document is a function of the row.
        json => activity_bytes_response(
            json,
            cached.actor_json(|p| {
                actor::package_actor(&state.urls, state.settings.actor_type, p)
                    .to_string()
                    .into_bytes()
            }),
        ),
    })
}
