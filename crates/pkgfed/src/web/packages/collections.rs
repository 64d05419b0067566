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

/// One page of the collection `id` holding `total` items: the page fetched at
/// `cursor` (its query parameter's name and value; none for the first page), linking
/// to the next one when the page is full. `key` is an item's cursor value, `value`
/// what the page lists for it.
fn page_of<T>(
    id: &str,
    (name, cursor): (&str, Option<i64>),
    total: u64,
    items: Vec<T>,
    key: impl Fn(&T) -> i64,
    value: impl Fn(T) -> Value,
) -> Value {
    let next = (items.len() == PAGE_SIZE as usize)
        .then(|| items.last().map(|i| format!("{id}?{name}={}", key(i))))
        .flatten();
    let page_id = match cursor {
        Some(c) => format!("{id}?{name}={c}"),
        None => format!("{id}?page=true"),
    };
    page(
        id,
        &page_id,
        total,
        items.into_iter().map(value).collect(),
        next,
    )
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
    let page = page_of(
        &id,
        ("after", after),
        total,
        items,
        |f| f.id,
        |f| Value::String(f.actor_id),
    );
    Ok(activity_response(rep, &page))
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
    let page = page_of(
        &id,
        ("before", before),
        total,
        items,
        |i| i.id,
        |i| serde_json::from_str(&i.activity).unwrap_or(Value::String(i.activity_id)),
    );
    Ok(activity_response(rep, &page))
}
