//! Housekeeping of the delivery state: hourly, delivery reports past their retention
//! (`delivery.report_retention_days`) are pruned.

use std::time::Duration;

use tokio::sync::watch;

use super::Outbound;

/// Prunes old delivery reports now and every hour until `stop` turns true.
pub async fn run(state: Outbound, mut stop: watch::Receiver<bool>) {
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
