//! Prometheus metrics through the `metrics` facade: instrumented code calls
//! `metrics::counter!` / `histogram!` where something happens, and the process-wide
//! recorder installed here keeps the series and renders the text format.
//!
//! Figures that live in the database (queue depth, oldest due delivery, followers,
//! watcher backlog) are not updated on every request: the `/metrics` handler
//! (`crate::web::metrics`) reads them at scrape time with bounded queries and sets
//! their gauges just before rendering.
//! Histograms are drained into their buckets by a background thread every few
//! seconds, so memory stays flat however rarely Prometheus scrapes.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{SharedString, counter, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The HTTP latency histogram (labels `route`, `method`, `status`).
pub const HTTP_REQUEST_DURATION: &str = "pkgfed_http_request_duration_seconds";
/// Inbox POSTs by answer (label `status`).
pub const INBOX_REQUESTS: &str = "pkgfed_inbox_requests_total";
/// Inbound requests refused by a limit before any work (label `reason`, see
/// [`RefusedReason`]).
pub const INBOUND_REFUSED: &str = "pkgfed_inbound_refused_total";
/// Delivery attempts by outcome (label `class`).
pub const DELIVERIES: &str = "pkgfed_deliveries_total";

/// Latency buckets in seconds: sub-millisecond cache hits up to slow remote fetches.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The classes of [`DELIVERIES`], registered at zero so dashboards see them at once.
pub const DELIVERY_CLASSES: [&str; 5] = [
    "success",
    "retry",
    "permanent_failure",
    "gave_up",
    "skipped",
];

/// Why a limit refused an inbound request (the `reason` of [`INBOUND_REFUSED`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusedReason {
    /// A token bucket (per host or per IP) was empty: 429.
    RateLimited,
    /// The inbox body nests too deep or has too many values: 400.
    JsonLimits,
    /// The inbox body is over `federation.max_body_bytes`: 413.
    BodyTooLarge,
    /// Headers or body arrived slower than the read timeouts: closed or 408.
    SlowClient,
}

impl RefusedReason {
    /// Every reason, registered at zero.
    pub const ALL: [RefusedReason; 4] = [
        Self::RateLimited,
        Self::JsonLimits,
        Self::BodyTooLarge,
        Self::SlowClient,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::JsonLimits => "json_limits",
            Self::BodyTooLarge => "body_too_large",
            Self::SlowClient => "slow_client",
        }
    }

    /// Counts one refusal.
    pub fn count(self) {
        counter!(INBOUND_REFUSED, "reason" => self.label()).increment(1);
    }
}

/// Inbox answers registered at zero (others appear when they happen).
const INBOX_STATUSES: [u16; 7] = [202, 400, 401, 403, 404, 413, 429];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder on first use and returns its handle. Until it
/// is installed the macros record nothing, so every server calls this at start.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(HTTP_REQUEST_DURATION.into()),
                &LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics will be empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms are drained at scrape time only");
        }
        handle
    })
}

/// A status code as a label value, without allocating for the common ones.
pub fn status_label(status: u16) -> SharedString {
    let fixed = match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        301 => "301",
        302 => "302",
        303 => "303",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        406 => "406",
        410 => "410",
        413 => "413",
        415 => "415",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        _ => return SharedString::from(status.to_string()),
    };
    SharedString::const_str(fixed)
}

/// HELP text of every series, and the zero-valued counters dashboards expect.
fn describe() {
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (until the response head), by route template, method and status."
    );
    describe_counter!(INBOX_REQUESTS, "Inbox POSTs by the status pkgfed answered.");
    describe_counter!(
        INBOUND_REFUSED,
        "Inbound requests refused by a limit before any work: rate_limited (429), json_limits (400), body_too_large (413), slow_client (connection closed or 408)."
    );
    describe_counter!(
        DELIVERIES,
        "Delivery attempts by outcome: success, retry (transient failure, retried later), permanent_failure, gave_up (retries exhausted)."
    );
    describe_counter!(
        "pkgfed_registry_requests_total",
        "Registry requests by registry and answer (200, 304, 404, 429, 2xx, 4xx, 5xx, error = no answer)."
    );
    describe_gauge!("pkgfed_packages", "Package actors.");
    describe_gauge!(
        "pkgfed_followers",
        "Follow relationships over all packages."
    );
    describe_gauge!(
        "pkgfed_delivery_queue_depth",
        "Deliveries waiting (pending, counted up to 1000000) or being attempted (in_flight)."
    );
    describe_gauge!(
        "pkgfed_delivery_queue_oldest_due_seconds",
        "How long the earliest waiting delivery has been due (0: nothing overdue)."
    );
    describe_gauge!(
        "pkgfed_watch_tracked_packages",
        "Packages watched (with at least one follower)."
    );
    describe_gauge!(
        "pkgfed_watch_backlog",
        "Watched packages due for a check now."
    );
    describe_gauge!(
        "pkgfed_watch_erroring_packages",
        "Watched packages whose last check failed."
    );
    describe_gauge!(
        "pkgfed_watch_overdue_packages",
        "Watched packages more than one interval late (the rate limit cannot keep up)."
    );
    describe_gauge!(
        "pkgfed_watch_last_success_seconds",
        "Unix time of the last successful check (0: never)."
    );
    describe_gauge!(
        "pkgfed_watch_stalled",
        "1 when the registry had no successful check for watch.stall_intervals intervals."
    );
    describe_gauge!(
        "pkgfed_broker_connected",
        "1 while the RabbitMQ broker ([broker]) is connected, 0 while pkgfed works without it (only with [broker] set)."
    );
    describe_counter!(
        "pkgfed_broker_connections_total",
        "Successful broker connections since start (more than 1: it reconnected)."
    );
    describe_counter!(
        "pkgfed_events_published_total",
        "Events published to the broker's pkgfed.events exchange and confirmed."
    );
    describe_counter!(
        "pkgfed_events_dropped_total",
        "Events not published to the broker, by reason: buffer_full, disconnected, nacked, publish_failed (in-process subscribers still got them)."
    );
    describe_counter!(
        "pkgfed_broker_wakes_total",
        "Wake messages through the broker by kind (deliveries, registry) and direction (sent, received)."
    );
    for class in DELIVERY_CLASSES {
        counter!(DELIVERIES, "class" => class).increment(0);
    }
    for reason in RefusedReason::ALL {
        counter!(INBOUND_REFUSED, "reason" => reason.label()).increment(0);
    }
    for status in INBOX_STATUSES {
        counter!(INBOX_REQUESTS, "status" => status_label(status)).increment(0);
    }
}
