//! `GET /packages/{handle}/releases/{version}[/{generation}]` and
//! `GET /packages/{handle}/advisories/{id}`: a post at its
//! id — the Note as JSON for ActivityPub clients, a small page for browsers, and 410
//! with a Tombstone once the post was deleted (a yanked version, a withdrawn advisory).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{activity_response, package_or_404};
use crate::error::{Error, Result};
use crate::posts::advisory::advisory_note_id;
use crate::posts::release::note_id;
use crate::store::Package;
use crate::web::AppState;
use crate::web::negotiate::{Representation, negotiate};
use crate::web::pages;

/// `GET /packages/{handle}/releases/{version}`
pub async fn release(
    State(state): State<AppState>,
    Path((handle, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let result = serve(&state, &handle, &version, 0, &headers).await;
    pages::html_errors(&state, &headers, result)
}

/// `GET /packages/{handle}/releases/{version}/{generation}` (posts made after an
/// un-yank).
pub async fn release_again(
    State(state): State<AppState>,
    Path((handle, version, generation)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let result = match generation.parse::<i64>().ok().filter(|g| *g > 0) {
        Some(generation) => serve(&state, &handle, &version, generation, &headers).await,
        None => Err(Error::NotFound(format!(
            "no post `{generation}` of {version}"
        ))),
    };
    pages::html_errors(&state, &headers, result)
}

/// `GET /packages/{handle}/advisories/{id}`
pub async fn advisory(
    State(state): State<AppState>,
    Path((handle, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let result = async {
        let package = package_or_404(&state, &handle).await?;
        let note = advisory_note_id(&state.urls, &package, &id);
        serve_post(
            &state,
            &package,
            &note,
            &format!("{} advisory {id}", package.name),
            &headers,
        )
        .await
    }
    .await;
    pages::html_errors(&state, &headers, result)
}

async fn serve(
    state: &AppState,
    handle: &str,
    version: &str,
    generation: i64,
    headers: &HeaderMap,
) -> Result<Response> {
    let package = package_or_404(state, handle).await?;
    let id = note_id(&state.urls, &package, version, generation);
    serve_post(
        state,
        &package,
        &id,
        &format!("{} {version}", package.name),
        headers,
    )
    .await
}

async fn serve_post(
    state: &AppState,
    package: &Package,
    id: &str,
    title: &str,
    headers: &HeaderMap,
) -> Result<Response> {
    let rep = negotiate(headers, true)?;
    let post = state
        .store
        .post(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no post about {title}")))?;
    if post.deleted_at.is_some() {
        let tombstone = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Tombstone",
            "formerType": "Note",
        });
        let mut res = match rep {
            Representation::Html => pages::error_page(
                state,
                Error::Gone(format!(
                    "The post about {title} was deleted: the version was withdrawn by its publisher, or the advisory was withdrawn."
                )),
                Some((
                    state.urls.actor(&package.handle),
                    format!("See {} and its current releases", package.name),
                )),
            ),
            json => activity_response(json, &tombstone),
        };
        *res.status_mut() = StatusCode::GONE;
        return Ok(res);
    }
    let mut note: Value = serde_json::from_str(&post.object)
        .map_err(|e| Error::Internal(format!("stored post {id} is not JSON: {e}")))?;
    Ok(match rep {
        Representation::Html => pages::post::page(state, package, title, &note),
        json => {
            note["@context"] = json!("https://www.w3.org/ns/activitystreams");
            activity_response(json, &note)
        }
    })
}
