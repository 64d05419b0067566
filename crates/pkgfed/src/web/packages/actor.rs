//! `GET /packages/{handle}`: the actor document, or its HTML page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{activity_response, package_or_create};
use crate::error::Result;
use crate::federation::{actor, html};
use crate::web::AppState;
use crate::web::negotiate::{Representation, negotiate};

/// `GET /packages/{handle}`
pub async fn get(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let rep = negotiate(&headers, true)?;
    let package = package_or_create(&state, &handle).await?;
    // The document's id is the URL it is served at: other spellings redirect there.
    if package.handle != handle {
        let mut res = StatusCode::MOVED_PERMANENTLY.into_response();
        if let Ok(v) = HeaderValue::from_str(&state.urls.actor(&package.handle)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(res);
    }
    Ok(match rep {
        Representation::Html => {
            let followers = state.store.count_followers(package.id).await?;
            let mut res =
                Html(html::package_page(&state.urls, &package, followers)).into_response();
            res.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            res
        }
        json => activity_response(
            json,
            &actor::package_actor(&state.urls, state.settings.actor_type, &package),
        ),
    })
}
