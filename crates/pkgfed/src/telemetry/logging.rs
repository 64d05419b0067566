//! Log output on stderr: `log.format = "pretty"` (one human-readable line per event,
//! colours only on a terminal) or `"json"` (one JSON object per line, with the fields
//! of the current span — a request's `request_id` among them — for log collectors).
//! The filter is `PKGFED_LOG` (default `info`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the process-wide subscriber. A second call (tests) changes nothing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("PKGFED_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Already installed (a test harness, or init twice): keep the first.
    let _ = match format {
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
