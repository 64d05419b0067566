//! Runs everything of one embedded pkgfed process: the HTTP server, the delivery
//! worker (with its housekeeping), the registry watcher, when `metrics.listen` is
//! set the metrics-only listener, and when `[broker]` is set the broker connection
//! (consuming the wakes of the work this process runs), until shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::broker::Wakers;
use crate::outbound::housekeeping;
use crate::outbound::worker::Deliverer;
use crate::web::{self, AppState};

/// Serves HTTP on `listener` and runs the delivery worker until `shutdown`
/// resolves; then drains HTTP within `grace` and lets in-flight deliveries finish
/// (the two stages of [`crate::shutdown`]).
pub async fn run(
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
    let worker = tokio::spawn(Deliverer::new(state.outbound.clone()).run(stop.on_drained()));
    let housekeeping = tokio::spawn(housekeeping::run(state.outbound.clone(), stop.on_drained()));
    let watcher = tokio::spawn(crate::watch::run(state.watcher.clone()));
    let broker = state.broker.clone().map(|b| {
        let wakers = Wakers {
            deliveries: Some(state.outbound.wake.clone()),
            registry: state.settings.watch.enabled.then(|| {
                (
                    state.watcher.watch_wake.clone(),
                    state.watcher.registry_wake.clone(),
                )
            }),
        };
        tokio::spawn(b.run(wakers, stop.on_drained()))
    });
    let requested = stop.clone();
    let shutdown = async move {
        shutdown.await;
        requested.request();
    };
    let result = web::serve(listener, state, grace, shutdown).await;
    stop.drained();
    let _ = worker.await;
    let _ = housekeeping.await;
    let _ = watcher.await;
    if let Some(b) = broker {
        let _ = b.await;
    }
    if let Some(m) = metrics {
        let _ = m.await;
    }
    result
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
