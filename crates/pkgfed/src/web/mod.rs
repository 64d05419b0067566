//! HTTP: the router and the server loop. Handler modules mirror URL paths:
//!
//! | path | module |
//! |---|---|
//! | `/.well-known/webfinger`, `/.well-known/nodeinfo`, `/.well-known/host-meta`, `/nodeinfo/2.1` | [`well_known`] |
//! | `/`, `/search`, `/follow`, `/static/…`, HTML of the pages below | [`pages`] |
//! | `/packages/{handle}/feed.atom`, `/packages/{handle}/feed.json` | [`feeds`] |
//! | `/healthz`, `/readyz` (no auth) | [`health`] |
//! | `/actor` | [`instance`] |
//! | `/packages/{handle}` and its `outbox`, `followers`, `following`, `releases/{version}` | [`packages`] |
//! | `/inbox`, `/packages/{handle}/inbox` | [`inbox`] |
//! | `/api/v1/admin/…` (bearer token) | [`admin`] |
//! | `/metrics` on the metrics-only listener (`metrics.listen`) | [`metrics`] |
//!
//! Every route (and the 404 fallback) runs under [`observe`]: request id, span,
//! latency histogram.

pub mod admin;
pub mod error;
pub mod feeds;
pub mod health;
pub mod inbox;
pub mod instance;
pub mod limits;
pub mod metrics;
pub mod negotiate;
pub mod observe;
pub mod packages;
pub mod pages;
pub mod serve;
pub mod state;
pub mod well_known;

use axum::Router;
use axum::routing::{get, post};
pub use serve::serve;
pub use state::AppState;

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(well_known::webfinger))
        .route("/.well-known/nodeinfo", get(well_known::nodeinfo_discovery))
        .route("/.well-known/host-meta", get(well_known::host_meta))
        .route("/nodeinfo/2.1", get(well_known::nodeinfo))
        .route("/", get(pages::home::home))
        .route("/search", get(pages::home::search))
        .route("/follow", post(pages::follow::follow))
        .route("/static/pkgfed.css", get(pages::assets::css))
        .route("/static/copy.js", get(pages::assets::copy_js))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/actor", get(instance::actor))
        .route("/actor/outbox", get(instance::outbox))
        .route("/inbox", post(inbox::shared))
        .route("/packages/{handle}", get(packages::actor::get))
        .route("/packages/{handle}/inbox", post(inbox::personal))
        .route("/packages/{handle}/feed.atom", get(feeds::atom))
        .route("/packages/{handle}/feed.json", get(feeds::json))
        .route(
            "/packages/{handle}/outbox",
            get(packages::collections::outbox),
        )
        .route(
            "/packages/{handle}/followers",
            get(packages::collections::followers),
        )
        .route(
            "/packages/{handle}/following",
            get(packages::collections::following),
        )
        .route(
            "/packages/{handle}/releases/{version}",
            get(packages::posts::release),
        )
        .route(
            "/packages/{handle}/releases/{version}/{generation}",
            get(packages::posts::release_again),
        )
        .route(
            "/packages/{handle}/advisories/{id}",
            get(packages::posts::advisory),
        )
        .nest(admin::PREFIX, admin::routes(&state))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::resolve_client,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(observe::observe))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
