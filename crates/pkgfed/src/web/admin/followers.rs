//! Followers that are gone (their host is marked unavailable, or their inbox answered
//! 404/410 without them being removed), and removing them:
//! - `GET /api/v1/admin/followers/dead?package=`
//! - `POST /api/v1/admin/followers/dead/cleanup?dry_run=&package=`

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::Event;
use crate::web::AppState;

/// Query of [`dead`] and [`cleanup`].
#[derive(Debug, Deserialize)]
pub struct DeadQuery {
    /// Only followers of this package (purl or handle).
    package: Option<String>,
    /// Cleanup only: report what would be removed without removing it.
    #[serde(default)]
    dry_run: bool,
}

/// A dead follower, with the package it follows spelled out.
#[derive(Clone, Debug, Serialize)]
pub struct DeadFollowerView {
    /// The followed package's purl.
    package: String,
    /// The followed package's actor id.
    package_actor: String,
    /// The follower.
    actor_id: String,
    /// Its inbox.
    inbox: String,
    /// Why it is considered dead.
    reason: String,
    #[serde(skip)]
    package_id: i64,
}

/// `GET /followers/dead` answer.
#[derive(Debug, Serialize)]
pub struct DeadResponse {
    /// The followers.
    dead_followers: Vec<DeadFollowerView>,
}

/// `POST /followers/dead/cleanup` answer.
#[derive(Debug, Serialize)]
pub struct CleanupResponse {
    /// Whether this was a dry run (nothing removed).
    dry_run: bool,
    /// How many were removed (dry run: would be).
    removed: u64,
    /// The followers removed (dry run: that would be).
    followers: Vec<DeadFollowerView>,
}

/// `GET /followers/dead`.
pub async fn dead(
    State(state): State<AppState>,
    q: std::result::Result<Query<DeadQuery>, QueryRejection>,
) -> Result<Json<DeadResponse>> {
    let q = super::query(q)?;
    let dead_followers = find_dead(&state, q.package.as_deref()).await?;
    Ok(Json(DeadResponse { dead_followers }))
}

/// `POST /followers/dead/cleanup`: removes them one by one so the answer and the
/// `follower_removed` events name exactly the follows this call removed (one removed
/// meanwhile by an Undo is not reported twice).
pub async fn cleanup(
    State(state): State<AppState>,
    q: std::result::Result<Query<DeadQuery>, QueryRejection>,
) -> Result<Json<CleanupResponse>> {
    let q = super::query(q)?;
    let dead = find_dead(&state, q.package.as_deref()).await?;
    if q.dry_run {
        return Ok(Json(CleanupResponse {
            dry_run: true,
            removed: dead.len() as u64,
            followers: dead,
        }));
    }
    let mut removed = Vec::new();
    for f in dead {
        let n = state
            .store
            .remove_follows(&[(f.package_id, f.actor_id.clone())])
            .await?;
        if n == 0 {
            continue;
        }
        tracing::info!(follower = %f.actor_id, package = %f.package, reason = %f.reason, "dead follower removed");
        state.events.publish(Event::FollowerRemoved {
            package: Some(f.package_actor.clone()),
            follower: f.actor_id.clone(),
            reason: "cleanup",
        });
        removed.push(f);
    }
    Ok(Json(CleanupResponse {
        dry_run: false,
        removed: removed.len() as u64,
        followers: removed,
    }))
}

async fn find_dead(state: &AppState, package: Option<&str>) -> Result<Vec<DeadFollowerView>> {
    let package_id = match package {
        Some(name) => Some(super::package(state, name).await?.id),
        None => None,
    };
    let dead = state.store.dead_followers(package_id).await?;
    // (purl, actor id) per package, looked up once each.
    let mut packages: HashMap<i64, Option<(String, String)>> = HashMap::new();
    let mut out = Vec::with_capacity(dead.len());
    for d in dead {
        let names = match packages.entry(d.package_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let p = state.store.package_by_id(d.package_id).await?;
                e.insert(p.map(|p| (p.purl, state.urls.actor(&p.handle))))
            }
        };
        // A package removed meanwhile took its followers with it.
        let Some((purl, actor)) = names else {
            continue;
        };
        out.push(DeadFollowerView {
            package: purl.clone(),
            package_actor: actor.clone(),
            actor_id: d.actor_id,
            inbox: d.inbox,
            reason: d.reason,
            package_id: d.package_id,
        });
    }
    Ok(out)
}
