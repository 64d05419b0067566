//! `GET /metrics` (Prometheus text format) on the metrics-only listener
//! (`metrics.listen`, no token: bind it to a private address), and the same text at
//! `GET /api/v1/admin/metrics` behind the admin token. Both render the one
//! process-wide recorder of [`crate::telemetry::metrics`], after setting the gauges
//! that come from the database (read here, at scrape time, with bounded queries).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, gauge};

use crate::error::Result;
use crate::watch::health;
use crate::web::AppState;

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics` and `GET /api/v1/admin/metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response> {
    let text = render(&state).await?;
    let mut res = text.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(res)
}

/// The metrics-only listener's routes: `/metrics` and nothing else.
pub fn listener_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn(super::observe::observe))
}

/// The text of `/metrics`: the database gauges refreshed, then every series.
async fn render(state: &AppState) -> Result<String> {
    let handle = crate::telemetry::metrics::install();
    let now = state.clock.now_ms();
    let c = state.store.metrics_counts().await?;
    gauge!("pkgfed_packages").set(c.packages as f64);
    gauge!("pkgfed_followers").set(c.follows as f64);
    gauge!("pkgfed_delivery_queue_depth", "state" => "pending").set(c.pending_deliveries as f64);
    gauge!("pkgfed_delivery_queue_depth", "state" => "in_flight")
        .set(c.in_flight_deliveries as f64);
    let oldest = c.oldest_due_at.map_or(0, |t| (now - t).max(0));
    gauge!("pkgfed_delivery_queue_oldest_due_seconds").set(oldest as f64 / 1000.0);
    for h in health::registries(&state.watcher).await? {
        let registry = h.ecosystem.as_str();
        let set = |name: &'static str, v: f64| gauge!(name, "registry" => registry).set(v);
        set("pkgfed_watch_tracked_packages", h.counts.tracked as f64);
        set("pkgfed_watch_backlog", h.counts.due as f64);
        set("pkgfed_watch_erroring_packages", h.counts.erroring as f64);
        set("pkgfed_watch_overdue_packages", h.counts.overdue as f64);
        set(
            "pkgfed_watch_last_success_seconds",
            h.counts.last_success_at.map_or(0.0, |t| (t / 1000) as f64),
        );
        set("pkgfed_watch_stalled", f64::from(u8::from(h.stalled)));
    }
    if let Some(broker) = &state.broker {
        broker_series(&broker.view());
    }
    for (ecosystem, registry) in state.watcher.registries.all() {
        for (status, n) in registry.limiter.responses() {
            counter!("pkgfed_registry_requests_total", "registry" => ecosystem.as_str(), "status" => status)
                .absolute(n);
        }
    }
    Ok(handle.render())
}

/// The broker's series, from its status (kept per broker, not in the recorder, so
/// the admin API and `/metrics` show the same figures).
fn broker_series(v: &crate::broker::BrokerStatusView) {
    gauge!("pkgfed_broker_connected").set(f64::from(u8::from(v.connected)));
    counter!("pkgfed_broker_connections_total").absolute(v.connections);
    counter!("pkgfed_events_published_total").absolute(v.events_published);
    for (reason, n) in &v.events_dropped {
        counter!("pkgfed_events_dropped_total", "reason" => *reason).absolute(*n);
    }
    for (direction, by_kind) in [("sent", &v.wakes_sent), ("received", &v.wakes_received)] {
        for (kind, n) in by_kind {
            counter!("pkgfed_broker_wakes_total", "kind" => *kind, "direction" => direction)
                .absolute(*n);
        }
    }
}
