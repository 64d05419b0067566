//! `GET /api/v1/admin/registries`: watcher health per registry (tracked packages,
//! backlog, erroring packages, requests and errors, last success, stalled). The same
//! figures are in the Prometheus metrics (`crate::web::metrics`).
//! `POST /api/v1/admin/registries/recheck`: every tracked package is checked again now.

use axum::Json;
use axum::extract::{Query, State};
use pkgfed_registries::Ecosystem;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::watch::health::{self, RegistryHealth};
use crate::web::AppState;

/// `GET /registries` answer.
#[derive(Debug, Serialize)]
pub struct RegistriesResponse {
    /// One entry per configured registry.
    registries: Vec<RegistryHealth>,
    /// Enabled ecosystems without a configured registry (not watched), with the key
    /// to set.
    unconfigured: Vec<Unconfigured>,
}

/// An enabled ecosystem that is not watched.
#[derive(Debug, Serialize)]
pub struct Unconfigured {
    ecosystem: String,
    key: &'static str,
}

/// `GET /registries`.
pub async fn list(State(state): State<AppState>) -> Result<Json<RegistriesResponse>> {
    Ok(Json(RegistriesResponse {
        registries: health::registries(&state.watcher).await?,
        unconfigured: state
            .settings
            .watch
            .unconfigured
            .iter()
            .map(|(e, key)| Unconfigured {
                ecosystem: e.to_string(),
                key,
            })
            .collect(),
    }))
}

/// `POST /registries/recheck` query.
#[derive(Debug, Deserialize)]
pub struct RecheckQuery {
    /// Only this ecosystem's packages (default: every configured registry's).
    ecosystem: Option<String>,
}

/// `POST /registries/recheck`: makes every tracked package of the configured
/// registries (or of `ecosystem`) due now and wakes the registry checkers. The checks
/// then run at each registry's rate limit; the backlog of `GET /registries` shows how
/// far they are. Answers how many packages were marked, per ecosystem.
pub async fn recheck(
    State(state): State<AppState>,
    Query(q): Query<RecheckQuery>,
) -> Result<Json<Value>> {
    let configured: Vec<Ecosystem> = state
        .watcher
        .registries
        .all()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let chosen = match q
        .ecosystem
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => configured,
        Some(raw) => {
            let eco: Ecosystem = raw
                .parse()
                .map_err(|e| Error::BadRequest(format!("`ecosystem`: {e}")))?;
            if !configured.contains(&eco) {
                return Err(Error::BadRequest(format!(
                    "`ecosystem`: {eco} has no registry configured here, so nothing is watched there"
                )));
            }
            vec![eco]
        }
    };
    let now = state.watcher.clock.now_ms();
    let mut marked = Map::new();
    for eco in chosen {
        let n = state.store.mark_all_due(eco, now).await?;
        marked.insert(eco.to_string(), n.into());
    }
    state.watcher.registry_wake.notify_waiters();
    // In cluster mode the watchers may run in other processes.
    if let Some(broker) = &state.broker {
        broker.wake(crate::broker::WakeKind::Registry);
    }
    tracing::info!(?marked, "re-check of the tracked packages requested");
    Ok(Json(json!({ "marked": marked })))
}
