//! `GET /packages/{handle}/outbox|followers|following`, cursor-paged.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::{activity_response, package_or_404};
use crate::error::{Error, Result};
use crate::federation::collections::{PAGE_SIZE, collection, page};
use crate::web::AppState;
use crate::web::negotiate::negotiate;

/// Paging parameters: `page=true` for the first page, `after`/`before` cursors.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    page: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

fn cursor(raw: &Option<String>, name: &str) -> Result<Option<i64>> {
    raw.as_deref()
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                Error::BadRequest(format!("`{name}` must be a non-negative integer cursor"))
            })
        })
        .transpose()
}

/// `GET /packages/{handle}/followers`
pub async fn followers(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let rep = negotiate(&headers, false)?;
    let package = package_or_404(&state, &handle).await?;
    let id = state.urls.actor_sub(&package.handle, "followers");
    let total = state.store.count_followers(package.id).await?;
    let after = cursor(&q.after, "after")?;
    if q.page.is_none() && after.is_none() {
        return Ok(activity_response(rep, &collection(&id, total)));
    }
    let items = state
        .store
        .followers_page(package.id, after, PAGE_SIZE)
        .await?;
    let next = (items.len() == PAGE_SIZE as usize)
        .then(|| items.last().map(|f| format!("{id}?after={}", f.id)))
        .flatten();
    let page_id = match after {
        Some(a) => format!("{id}?after={a}"),
        None => format!("{id}?page=true"),
    };
    let items = items
        .into_iter()
        .map(|f| Value::String(f.actor_id))
        .collect();
    Ok(activity_response(
        rep,
        &page(&id, &page_id, total, items, next),
    ))
}

/// `GET /packages/{handle}/following`: packages follow nobody.
pub async fn following(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let rep = negotiate(&headers, false)?;
    let package = package_or_404(&state, &handle).await?;
    let id = state.urls.actor_sub(&package.handle, "following");
    if q.page.is_none() {
        return Ok(activity_response(rep, &collection(&id, 0)));
    }
    Ok(activity_response(
        rep,
        &page(&id, &format!("{id}?page=true"), 0, Vec::new(), None),
    ))
}

/// `GET /packages/{handle}/outbox`: newest first.
pub async fn outbox(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let rep = negotiate(&headers, false)?;
    let package = package_or_404(&state, &handle).await?;
    let id = state.urls.actor_sub(&package.handle, "outbox");
    let total = state.store.count_outbox(package.id).await?;
    let before = cursor(&q.before, "before")?;
    if q.page.is_none() && before.is_none() {
        return Ok(activity_response(rep, &collection(&id, total)));
    }
    let items = state
        .store
        .outbox_page(package.id, before, PAGE_SIZE)
        .await?;
    let next = (items.len() == PAGE_SIZE as usize)
        .then(|| items.last().map(|i| format!("{id}?before={}", i.id)))
        .flatten();
    let page_id = match before {
        Some(b) => format!("{id}?before={b}"),
        None => format!("{id}?page=true"),
    };
    let items = items
        .into_iter()
        .map(|i| serde_json::from_str(&i.activity).unwrap_or(Value::String(i.activity_id)))
        .collect();
    Ok(activity_response(
        rep,
        &page(&id, &page_id, total, items, next),
    ))
}
