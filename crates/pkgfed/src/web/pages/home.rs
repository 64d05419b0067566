//! `GET /` (what this server is, a search box) and `GET /search?q=` (find or create
//! the package by name, handle or package URL, and show how to follow it).
//!
//! A search goes through the same lookup as WebFinger (`packages::lazy`): a package
//! pkgfed does not know yet is looked up in its registry, within the registry's rate
//! limit and the instance's `watch.allow`/`watch.deny` rules, and created if it
//! exists.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use pkgfed_registries::{Ecosystem, PackageId};
use serde::Deserialize;

use super::views::Card;
use super::{Site, error_page, render};
use crate::error::{Error, Result};
use crate::store::Package;
use crate::web::AppState;
use crate::web::limits::{Requester, lookup};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    site: Site<'a>,
    ecosystems: Vec<&'static str>,
    packages: u64,
    followers: u64,
}

/// `GET /`
pub async fn home(State(state): State<AppState>) -> Response {
    let counts = match state.store.counts().await {
        Ok(c) => c,
        Err(e) => return error_page(&state, e.into(), None),
    };
    render(
        StatusCode::OK,
        &HomePage {
            site: Site::of(&state),
            ecosystems: state
                .settings
                .ecosystems
                .iter()
                .map(|e| e.as_str())
                .collect(),
            packages: counts.packages,
            followers: counts.distinct_followers,
        },
    )
}

/// The search query.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    site: Site<'a>,
    query: &'a str,
    cards: Vec<Card>,
}

/// `GET /search?q=`
pub async fn search(
    State(state): State<AppState>,
    who: Requester,
    Query(q): Query<SearchQuery>,
) -> Response {
    let query = q.q.unwrap_or_default();
    let query = query.trim();
    match find(&state, &who, query).await {
        Ok(found) => render(
            StatusCode::OK,
            &SearchPage {
                site: Site::of(&state),
                query,
                cards: found.iter().map(|p| Card::of(&state.urls, p)).collect(),
            },
        ),
        Err(e) => error_page(&state, e, None),
    }
}

/// The packages `query` names: one for a handle or package URL; for a bare name, the
/// package of that name in each enabled ecosystem that has one. Never empty.
pub async fn find(state: &AppState, who: &Requester, query: &str) -> Result<Vec<Package>> {
    if query.is_empty() {
        return Err(Error::BadRequest(
            "enter a package name (serde), a handle (@cargo.serde@host) or a package URL (pkg:npm/@types/node)".into(),
        ));
    }
    if query.len() > 300 {
        return Err(Error::BadRequest(
            "that is too long for a package name, handle or package URL".into(),
        ));
    }
    let not_found = || {
        Error::NotFound(format!(
            "no package `{query}` here: it is not in the {} registry, or this server does not allow it",
            enabled_names(&state.settings.ecosystems)
        ))
    };
    if query.starts_with("pkg:") {
        return lookup::by_purl(state, who, query)
            .await?
            .map(|p| vec![p])
            .ok_or_else(not_found);
    }
    let handle = match query.trim_start_matches('@').split_once('@') {
        Some((handle, host)) => {
            if !host.eq_ignore_ascii_case(state.urls.host()) {
                return Err(Error::BadRequest(format!(
                    "@{handle}@{host} is on another server; this server is {}: search for @{handle}@{} or open {host} instead",
                    state.urls.host(),
                    state.urls.host()
                )));
            }
            handle
        }
        None => query.trim_start_matches('@'),
    };
    if let Some(p) = lookup::by_handle(state, who, handle).await? {
        return Ok(vec![p]);
    }
    // A bare name on a server with several ecosystems: try it in each.
    let mut found = Vec::new();
    for eco in &state.settings.ecosystems {
        if let Ok(id) = PackageId::new(*eco, handle)
            && let Some(p) = lookup::by_purl(state, who, &id.purl()).await?
        {
            found.push(p);
        }
    }
    if found.is_empty() {
        Err(not_found())
    } else {
        Ok(found)
    }
}

fn enabled_names(ecosystems: &[Ecosystem]) -> String {
    let names: Vec<&str> = ecosystems.iter().map(|e| e.as_str()).collect();
    match names.len() {
        0 => "(none enabled)".into(),
        1 => names[0].to_owned(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}
