//! Runs everything of one embedded pkgfed process: the HTTP server, the delivery
//! worker (with its housekeeping) and the registry watcher, until shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

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
    let worker = tokio::spawn(Deliverer::new(state.outbound.clone()).run(stop.on_drained()));
    let housekeeping = tokio::spawn(housekeeping::run(state.outbound.clone(), stop.on_drained()));
    let watcher = tokio::spawn(crate::watch::run(state.watcher.clone()));
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
    result
}
