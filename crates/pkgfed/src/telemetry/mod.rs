//! What pkgfed tells its operator while it runs: log output ([`logging`]) and
//! Prometheus metrics ([`metrics`]). Per-request logging and timing is the web
//! layer's `web::observe`; the series are recorded with one `metrics` macro at each
//! place that counts something, and `docs/operations.md` names every series.

pub mod logging;
pub mod metrics;
