//! The package page: what a browser gets at `/packages/{handle}` — name, ecosystem,
//! description, links, follower count, the newest releases (yanked ones struck
//! through, prereleases and deprecations marked), advisories with severity and fixed
//! versions, the feeds and the follow card.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::views::{AdvisoryView, Card, ReleaseView};
use super::{Site, html_response};
use crate::error::{Error, Result};
use crate::store::Package;
use crate::store::pages::{PackageAdvisory, RecentRelease};
use crate::web::AppState;

/// Most releases a page lists (the store query is bounded by it).
pub const RELEASES_SHOWN: u32 = 50;
/// Most advisories a page lists.
pub const ADVISORIES_SHOWN: u32 = 20;

/// A labelled fact: a link when `is_url`.
pub struct LinkFact {
    /// `Homepage`, `Repository`, `Licence`.
    pub label: &'static str,
    /// The value.
    pub value: String,
    /// An http(s) URL (shown as a link).
    pub is_url: bool,
}

#[derive(Template)]
#[template(path = "package.html")]
struct PackagePage<'a> {
    site: Site<'a>,
    card: Card,
    purl: &'a str,
    links: Vec<LinkFact>,
    followers: u64,
    releases: Vec<ReleaseView>,
    limit: usize,
    advisories: Vec<AdvisoryView>,
    atom_url: String,
    json_url: String,
}

/// The newest releases and advisories of `package`, as the page and the feeds
/// list them (bounded by [`RELEASES_SHOWN`] and [`ADVISORIES_SHOWN`]).
pub async fn recent(
    state: &AppState,
    package: &Package,
) -> Result<(Vec<RecentRelease>, Vec<PackageAdvisory>)> {
    let releases = state
        .store
        .recent_releases(package.id, RELEASES_SHOWN)
        .await?;
    let advisories = state
        .store
        .package_advisories(package, ADVISORIES_SHOWN)
        .await?;
    Ok((releases, advisories))
}

/// The package page of `package` (rendered, and kept in the page cache).
pub async fn page(state: &AppState, package: &Package) -> Result<Response> {
    let generation = state.page_cache.generation();
    let followers = state.store.count_followers(package.id).await?;
    let (releases, advisories) = recent(state, package).await?;
    let links = [
        ("Homepage", &package.meta.homepage),
        ("Repository", &package.meta.repository),
        ("Licence", &package.meta.license),
    ]
    .into_iter()
    .filter_map(|(label, v)| {
        v.as_ref().map(|v| LinkFact {
            label,
            is_url: label != "Licence" && (v.starts_with("https://") || v.starts_with("http://")),
            value: v.clone(),
        })
    })
    .collect();
    let page = PackagePage {
        site: Site::of(state),
        card: Card::of(&state.urls, package),
        purl: &package.purl,
        links,
        followers,
        releases: releases.iter().map(ReleaseView::of).collect(),
        limit: RELEASES_SHOWN as usize,
        advisories: advisories
            .iter()
            .filter_map(|a| AdvisoryView::of(&state.urls, package, a))
            .collect(),
        atom_url: state.urls.actor_sub(&package.handle, "feed.atom"),
        json_url: state.urls.actor_sub(&package.handle, "feed.json"),
    };
    let html = axum::body::Bytes::from(
        page.render()
            .map_err(|e| Error::Internal(format!("template failed: {e}")))?,
    );
    state
        .page_cache
        .put(&package.handle, html.clone(), generation);
    Ok(html_response(StatusCode::OK, html))
}
