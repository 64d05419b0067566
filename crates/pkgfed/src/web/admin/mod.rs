//! The admin REST API under `/api/v1/admin`: what operators (and `pkgfed admin …`)
//! use to see and fix delivery state. Every route needs the bearer token (see
//! [`auth`]) except the OpenAPI document that describes them. `docs/admin-api.md`
//! has examples.
//!
//! | route | module |
//! |---|---|
//! | `GET /activities/status?id=` | [`activities`] |
//! | `GET /deliveries/failures?actor=&limit=` | [`deliveries`] |
//! | `GET /followers/dead?package=`, `POST /followers/dead/cleanup?dry_run=&package=` | [`followers`] |
//! | `GET /domains/flagged`, `DELETE /domains/flagged/{domain}` | [`domains`] |
//! | `GET /domain-blocks`, `POST /domain-blocks`, `DELETE /domain-blocks/{domain}` | [`domain_blocks`] |
//! | `GET /hosts` | [`hosts`] |
//! | `POST /packages/import` | [`packages`] |
//! | `GET /registries` | [`registries`] |
//! | `GET /broker` | [`broker`] |
//! | `GET /metrics` (Prometheus text) | [`crate::web::metrics`] |
//! | `GET /events` (Server-Sent Events) | [`events`] |
//! | `GET /openapi.json` (no token) | [`openapi`] |

pub mod activities;
pub mod auth;
pub mod broker;
pub mod deliveries;
pub mod domain_blocks;
pub mod domains;
pub mod events;
pub mod followers;
pub mod hosts;
pub mod openapi;
pub mod packages;
pub mod registries;

use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::middleware;
use axum::routing::{delete, get, post};

use crate::error::{Error, Result};
use crate::store::Package;
use crate::web::AppState;

/// Where [`routes`] are nested.
pub const PREFIX: &str = "/api/v1/admin";

/// The admin routes, relative to [`PREFIX`]. The token check is a route layer over
/// all of them (so a new route cannot forget it); `state` gives it the token.
pub fn routes(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .route("/activities/status", get(activities::status))
        .route("/deliveries/failures", get(deliveries::failures))
        .route("/followers/dead", get(followers::dead))
        .route("/followers/dead/cleanup", post(followers::cleanup))
        .route("/domains/flagged", get(domains::flagged))
        .route("/domains/flagged/{domain}", delete(domains::clear))
        .route(
            "/domain-blocks",
            get(domain_blocks::list).post(domain_blocks::add),
        )
        .route("/domain-blocks/{domain}", delete(domain_blocks::remove))
        .route("/hosts", get(hosts::list))
        .route("/packages/import", post(packages::import))
        .route("/packages/rotate-key", post(packages::rotate_key))
        .route("/registries", get(registries::list))
        .route("/registries/recheck", post(registries::recheck))
        .route("/broker", get(broker::status))
        .route("/metrics", get(crate::web::metrics::metrics))
        .route("/events", get(events::stream))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .merge(protected)
}

/// The query parameters, or 400 saying which one is wrong (axum's own rejection is
/// plain text; admin clients get JSON errors everywhere).
fn query<T>(q: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    q.map(|Query(t)| t)
        .map_err(|e| Error::BadRequest(format!("bad query parameters: {}", e.body_text())))
}

/// The package named by `purl_or_handle`, or 404.
async fn package(state: &AppState, purl_or_handle: &str) -> Result<Package> {
    let name = purl_or_handle.trim();
    if name.is_empty() {
        return Err(Error::BadRequest(
            "`package` is empty: give a purl (pkg:cargo/serde) or a handle".into(),
        ));
    }
    crate::packages::find(&state.store, &state.settings.ecosystems, name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no package `{name}`")))
}
