//! Runs everything of one embedded pkgfed process: the HTTP server, the delivery
//! worker (with its housekeeping) and the registry watcher, until shutdown.

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::AppState;
use crate::outbound::worker::Deliverer;
use crate::web;

/// Serves HTTP on `listener` and runs the delivery worker until `shutdown`
/// resolves; then drains HTTP within `grace` and lets in-flight deliveries finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = tokio::spawn(Deliverer::new(state.clone()).run(stop_rx.clone()));
    let housekeeping = tokio::spawn(housekeeping(state.clone(), stop_rx));
    let watcher = tokio::spawn(crate::watch::run(state.clone()));
    let signal = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        let _ = signal.send(true);
    };
    let result = web::serve(listener, state, grace, shutdown).await;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    let _ = housekeeping.await;
    let _ = watcher.await;
    result
}

/// Hourly: prune delivery reports past their retention.
async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    let retention_ms = (state.settings.delivery.report_retention_days * 24 * 3600 * 1000) as i64;
    loop {
        match state
            .store
            .prune_reports(state.clock.now_ms() - retention_ms)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "pruned old delivery reports"),
            Err(e) => tracing::error!(error = %e, "cannot prune delivery reports"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
    }
}
