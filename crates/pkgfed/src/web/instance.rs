//! `/actor`: the instance actor, and its (empty) outbox.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::negotiate::negotiate;
use super::packages::activity_response;
use crate::error::Result;
use crate::federation::{actor, collections};
use crate::web::AppState;

/// `GET /actor`
pub async fn actor(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let rep = negotiate(&headers, false)?;
    Ok(activity_response(
        rep,
        &actor::instance_actor(&state.urls, &state.instance_public_pem),
    ))
}

/// `GET /actor/outbox`
pub async fn outbox(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let rep = negotiate(&headers, false)?;
    Ok(activity_response(
        rep,
        &collections::collection(&state.urls.at("/actor/outbox"), 0),
    ))
}
