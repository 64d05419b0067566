//! Watcher health per registry: last success, error rate, backlog, and whether the
//! registry has stalled (no successful check for `watch.stall_intervals` intervals
//! while packages are tracked). A silently stalled checker is the most common failure
//! of release monitors, so a stall is logged as a warning and emitted as an event.

use pkgfed_registries::{Ecosystem, LimiterHealth};
use serde::Serialize;

use super::Watcher;
use super::error::Result;
use crate::events::Event;
use crate::store::watch::WatchCounts;

/// One registry's health.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryHealth {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Whether it reads a change feed.
    pub change_feed: bool,
    /// Tracked packages, due now (backlog), and erroring.
    #[serde(flatten)]
    pub counts: WatchCounts,
    /// Request counters of its rate limiter.
    pub requests: LimiterHealth,
    /// Share of requests that failed, 0..1.
    pub error_rate: f64,
    /// Most recent successful check, RFC 3339.
    pub last_success: Option<String>,
    /// No successful check for `watch.stall_intervals` intervals while packages are
    /// tracked.
    pub stalled: bool,
    /// Packages are more than one interval late: the registry's rate limit cannot
    /// keep up with the schedule.
    pub behind: bool,
}

fn rfc3339_ms(ms: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// The health of every configured registry.
pub async fn registries(state: &Watcher) -> Result<Vec<RegistryHealth>> {
    let now = state.clock.now_ms();
    let mut out = Vec::new();
    for (eco, r) in state.registries.all() {
        let counts = state.store.watch_counts(eco, now).await?;
        let requests = r.limiter.health();
        let error_rate = if requests.requests == 0 {
            0.0
        } else {
            requests.errors as f64 / requests.requests as f64
        };
        out.push(RegistryHealth {
            ecosystem: eco,
            change_feed: r.feed,
            stalled: is_stalled(state, &counts, now),
            behind: counts.overdue > 0,
            last_success: counts.last_success_at.and_then(rfc3339_ms),
            counts,
            requests,
            error_rate,
        });
    }
    Ok(out)
}

fn is_stalled(state: &Watcher, counts: &WatchCounts, now: i64) -> bool {
    let w = &state.settings.watch;
    let limit = (w.interval * w.stall_intervals).as_millis() as i64;
    counts.tracked > 0 && counts.last_success_at.is_none_or(|t| now - t > limit) && {
        // A registry that has not yet had the time to check anything is not stalled.
        state.started_at_ms + limit < now
    }
}

/// Remembers whether a registry was stalled or behind, to warn once per episode.
#[derive(Default)]
pub struct StallWatch {
    stalled: bool,
    behind: bool,
}

impl StallWatch {
    /// Checks the registry and warns when it starts or stops being stalled.
    pub async fn observe(&mut self, state: &Watcher, ecosystem: Ecosystem) {
        let now = state.clock.now_ms();
        let Ok(counts) = state.store.watch_counts(ecosystem, now).await else {
            return;
        };
        let stalled = is_stalled(state, &counts, now);
        if stalled && !self.stalled {
            tracing::warn!(%ecosystem, tracked = counts.tracked, last_success = ?counts.last_success_at.and_then(rfc3339_ms),
                "registry stalled: no successful check for {} intervals", state.settings.watch.stall_intervals);
            state.events.publish(Event::RegistryStalled {
                ecosystem: ecosystem.as_str().to_owned(),
                last_success: counts.last_success_at.and_then(rfc3339_ms),
            });
        } else if !stalled && self.stalled {
            tracing::info!(%ecosystem, "registry checks succeed again");
        }
        self.stalled = stalled;
        let behind = counts.overdue > 0;
        if behind && !self.behind {
            let rps = state
                .registries
                .get(ecosystem)
                .map_or(0.0, |r| r.limiter.health().requests_per_second);
            tracing::warn!(%ecosystem, overdue = counts.overdue, tracked = counts.tracked, requests_per_second = rps,
                "registry checks are falling behind: packages are more than one interval late. \
                 Raise {ecosystem}.requests_per_second if the registry allows, lengthen watch.interval_seconds, \
                 or use a change feed");
        } else if !behind && self.behind {
            tracing::info!(%ecosystem, "registry checks have caught up");
        }
        self.behind = behind;
    }
}
