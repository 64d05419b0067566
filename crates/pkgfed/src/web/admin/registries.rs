//! `GET /api/v1/admin/registries`: watcher health per registry (tracked packages,
//! backlog, erroring packages, requests and errors, last success, stalled). The same
//! figures are in the Prometheus metrics (`crate::web::metrics`).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::Result;
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
