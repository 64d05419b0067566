//! Runs one pkgfed process in its role until shutdown:
//!
//! - `all` (the embedded default): the HTTP server, the delivery worker (with its
//!   housekeeping) and the registry watcher, in one process.
//! - `web` (cluster mode): the HTTP server only; work it queues wakes the workers
//!   through the broker (or they find it in the database on their next look).
//! - `worker` (cluster mode): the delivery worker, housekeeping and the watcher; on
//!   `server.listen` only the probes and `/metrics` ([`web::health::worker_router`]).
//!
//! Every role runs the metrics-only listener when `metrics.listen` is set, the
//! broker connection when `[broker]` is set (consuming the wakes of the work this
//! process runs), and the generation sync that notices key rotations and domain
//! blocks made by other processes ([`crate::outbound::generations`]).

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::broker::Wakers;
use crate::outbound::housekeeping;
use crate::outbound::worker::Deliverer;
use crate::web::{self, AppState};

/// What a process runs (`pkgfed serve --role`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process (SQLite or PostgreSQL).
    #[default]
    All,
    /// HTTP only: inbox, documents, pages, feeds, admin API (PostgreSQL).
    Web,
    /// Deliveries, registry watching and advisories; probes and metrics on
    /// `server.listen` (PostgreSQL).
    Worker,
}

impl Role {
    /// The name on the command line and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Web => "web",
            Role::Worker => "worker",
        }
    }

    /// Whether this role serves the HTTP API.
    pub fn serves_api(self) -> bool {
        self != Role::Worker
    }

    /// Whether this role runs the background work (deliveries, watcher).
    pub fn runs_work(self) -> bool {
        self != Role::Web
    }
}

/// Serves HTTP on `listener` and runs the delivery worker until `shutdown`
/// resolves; then drains HTTP within `grace` and lets in-flight deliveries finish
/// (the two stages of [`crate::shutdown`]). The `all` role: [`run_as`].
pub async fn run(
    listener: TcpListener,
    state: AppState,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_as(Role::All, listener, state, grace, shutdown).await
}

/// Runs what `role` runs (see the module documentation) until `shutdown` resolves,
/// then stops in the two stages of [`crate::shutdown`]: HTTP drains within `grace`,
/// in-flight deliveries finish.
pub async fn run_as(
    role: Role,
    listener: TcpListener,
    state: AppState,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = state.shutdown.clone();
    let metrics = match state.settings.metrics_listen {
        Some(addr) => Some(serve_metrics(addr, state.clone(), stop.on_drained()).await?),
        None => None,
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(crate::outbound::generations::run(
        state.outbound.clone(),
        stop.on_drained(),
    ));
    if role.runs_work() {
        let deliverer = Deliverer::new(state.outbound.clone());
        // Several workers share the database in cluster mode: do not take over the
        // live claims of the others at start.
        let deliverer = if role == Role::Worker {
            deliverer.shared()
        } else {
            deliverer
        };
        tasks.spawn(deliverer.run(stop.on_drained()));
        tasks.spawn(housekeeping::run(state.outbound.clone(), stop.on_drained()));
        tasks.spawn(crate::watch::run(state.watcher.clone(), role == Role::All));
    }
    if let Some(b) = state.broker.clone() {
        let wakers = if role.runs_work() {
            Wakers {
                deliveries: Some(state.outbound.wake.clone()),
                registry: state.settings.watch.enabled.then(|| {
                    (
                        state.watcher.watch_wake.clone(),
                        state.watcher.registry_wake.clone(),
                    )
                }),
            }
        } else {
            // A web process publishes wakes and consumes none.
            Wakers::default()
        };
        tasks.spawn(b.run(wakers, stop.on_drained()));
    }
    let requested = stop.clone();
    let shutdown = async move {
        shutdown.await;
        requested.request();
    };
    let result = if role.serves_api() {
        web::serve(listener, state, grace, shutdown).await
    } else {
        serve_probes(listener, state, shutdown).await
    };
    stop.drained();
    while tasks.join_next().await.is_some() {}
    if let Some(m) = metrics {
        let _ = m.await;
    }
    result
}

/// A worker's HTTP: the probes and `/metrics` until `shutdown` (nothing to drain:
/// the requests are short, and in-flight deliveries are waited for after it).
async fn serve_probes(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, web::health::worker_router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `metrics.listen` and serves `/metrics` there until `stop`.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {addr} (metrics.listen): {e}"),
        )
    })?;
    tracing::info!(listen = %listener.local_addr()?, "serving /metrics");
    let app = web::metrics::listener_router(state);
    Ok(tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|drained| *drained).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "the metrics listener failed");
        }
    }))
}
