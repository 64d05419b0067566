//! [`RateLimiter`]: one request budget per registry, shared by every request to it.
//!
//! The watcher's scheduled checks, lazy first lookups and change-feed reads of one
//! registry all hold the same `Arc<RateLimiter>`, so together they never exceed the
//! configured rate. Requests are spaced evenly (`1 / rps` apart, with a burst of
//! one: an idle limiter lets the first request through at once). When the registry
//! answers 429 or 5xx, [`RateLimiter::back_off`] holds every request, including
//! those already waiting for their slot, until the back-off has passed.
//!
//! The limiter also keeps the registry's health counters, which the watcher shows
//! operators ([`RateLimiter::health`]). It runs on `tokio::time`, so tests can pause
//! time instead of sleeping.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// How long to wait after a 429 that has no `Retry-After`.
pub const DEFAULT_RATE_LIMITED_BACKOFF: Duration = Duration::from_secs(60);
/// The first back-off after a 5xx without `Retry-After`; it doubles with every
/// consecutive failure up to [`MAX_FAILURE_BACKOFF`] and resets on success.
pub const FIRST_FAILURE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest automatic back-off after consecutive failures.
pub const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(300);

/// A registry's request budget and health counters. Share it with `Arc`.
#[derive(Debug)]
pub struct RateLimiter {
    /// The spacing between two requests (`1 / rps`).
    interval: Duration,
    state: Mutex<State>,
    requests: AtomicU64,
    errors: AtomicU64,
    /// Unix seconds of the last success; 0 for never.
    last_success: AtomicU64,
    /// Answers by [`RESPONSE_CLASSES`], for the operator's metrics.
    responses: [AtomicU64; RESPONSE_CLASSES.len()],
}

/// How registry answers are counted ([`RateLimiter::count_response`]): the statuses
/// that mean something different to the watcher, the rest by class, and `error` for
/// no answer at all (connection failure, timeout).
pub const RESPONSE_CLASSES: [&str; 8] = ["200", "304", "404", "429", "2xx", "4xx", "5xx", "error"];

#[derive(Debug)]
struct State {
    /// The earliest moment the next request may start.
    next_slot: Instant,
    /// No request starts before this, whatever slot it was given.
    backoff_until: Option<Instant>,
    /// Failures since the last success, for the doubling 5xx back-off.
    consecutive_failures: u32,
}

/// A registry's health, as the watcher's admin API shows it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LimiterHealth {
    /// Requests let through since start.
    pub requests: u64,
    /// Requests that failed at the registry's end (429, 5xx, connection errors,
    /// unusable responses).
    pub errors: u64,
    /// When a request last succeeded, in Unix seconds.
    pub last_success_unix: Option<i64>,
    /// Until when requests are held back, in Unix seconds, while a back-off lasts.
    pub backoff_until_unix: Option<i64>,
    /// The configured rate.
    pub requests_per_second: f64,
}

impl RateLimiter {
    /// A limiter letting `requests_per_second` requests through per second, evenly
    /// spaced. Rates that are not positive and finite are treated as one request
    /// per hour, so a configuration mistake slows pkgfed down instead of letting it
    /// hammer the registry.
    pub fn new(requests_per_second: f64) -> Self {
        let interval = if requests_per_second.is_finite() && requests_per_second > 0.0 {
            Duration::try_from_secs_f64(1.0 / requests_per_second)
                .unwrap_or(Duration::from_secs(3600))
        } else {
            Duration::from_secs(3600)
        };
        RateLimiter {
            interval,
            state: Mutex::new(State {
                next_slot: Instant::now(),
                backoff_until: None,
                consecutive_failures: 0,
            }),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            last_success: AtomicU64::new(0),
            responses: Default::default(),
        }
    }

    /// Counts one answer of the registry (`None`: no answer) under its
    /// [`RESPONSE_CLASSES`] entry. 410 counts as 404 (both are "no such package").
    pub fn count_response(&self, status: Option<u16>) {
        let class = match status {
            Some(200) => 0,
            Some(304) => 1,
            Some(404 | 410) => 2,
            Some(429) => 3,
            Some(500..) => 6,
            Some(400..) => 5,
            // 1xx and other 3xx land with the successes: they are answers, not errors.
            Some(_) => 4,
            None => 7,
        };
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Answers counted so far, per [`RESPONSE_CLASSES`] entry (same order).
    pub fn responses(&self) -> [(&'static str, u64); RESPONSE_CLASSES.len()] {
        std::array::from_fn(|i| {
            (
                RESPONSE_CLASSES[i],
                self.responses[i].load(Ordering::Relaxed),
            )
        })
    }

    /// The spacing between two requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is a
        // single assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's slot. Call once before every request.
    pub async fn acquire(&self) {
        loop {
            let slot = {
                let mut state = self.lock();
                let now = Instant::now();
                let mut slot = state.next_slot.max(now);
                if let Some(until) = state.backoff_until {
                    slot = slot.max(until);
                }
                state.next_slot = slot + self.interval;
                slot
            };
            tokio::time::sleep_until(slot).await;
            // A back-off that began while this request waited holds it too.
            let held = self
                .lock()
                .backoff_until
                .is_some_and(|until| until > Instant::now());
            if !held {
                break;
            }
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Holds every request until at least `now + d`.
    pub fn back_off(&self, d: Duration) {
        let mut state = self.lock();
        let until = Instant::now() + d;
        let until = state.backoff_until.map_or(until, |old| old.max(until));
        state.backoff_until = Some(until);
        state.next_slot = state.next_slot.max(until);
    }

    /// Records a request that failed at the registry's end, without backing off.
    pub fn record_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a 5xx or connection failure: counts it and backs off by
    /// `retry_after` when the registry gave one, else by a back-off that doubles
    /// with each consecutive failure. Returns the back-off applied.
    pub fn record_failure(&self, retry_after: Option<Duration>) -> Duration {
        self.record_error();
        let d = {
            let mut state = self.lock();
            state.consecutive_failures = state.consecutive_failures.saturating_add(1);
            let doubling = FIRST_FAILURE_BACKOFF
                .saturating_mul(1 << (state.consecutive_failures - 1).min(16))
                .min(MAX_FAILURE_BACKOFF);
            retry_after.unwrap_or(doubling)
        };
        self.back_off(d);
        d
    }

    /// Records a 429: counts it and backs off by `retry_after`, or by
    /// [`DEFAULT_RATE_LIMITED_BACKOFF`]. Returns the back-off applied.
    pub fn record_rate_limited(&self, retry_after: Option<Duration>) -> Duration {
        self.record_error();
        let d = retry_after.unwrap_or(DEFAULT_RATE_LIMITED_BACKOFF);
        self.back_off(d);
        d
    }

    /// Records a successful request (any answer that is the registry working as
    /// intended, 404 included).
    pub fn record_success(&self) {
        self.lock().consecutive_failures = 0;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.last_success.store(now, Ordering::Relaxed);
    }

    /// How long from now requests are held back, if a back-off is in force.
    pub fn backoff_remaining(&self) -> Option<Duration> {
        let until = self.lock().backoff_until?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    /// The health counters.
    pub fn health(&self) -> LimiterHealth {
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let last = self.last_success.load(Ordering::Relaxed);
        LimiterHealth {
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            last_success_unix: (last > 0).then_some(last as i64),
            backoff_until_unix: self
                .backoff_remaining()
                .map(|d| (unix_now + d.as_secs_f64()).ceil() as i64),
            requests_per_second: 1.0 / self.interval.as_secs_f64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_requests_evenly_with_a_burst_of_one() {
        let limiter = Arc::new(RateLimiter::new(10.0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                limiter.acquire().await;
                Instant::now() - start
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap_or_default());
        }
        times.sort();
        assert_eq!(times[0], Duration::ZERO, "the first request goes at once");
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(100), "{times:?}");
        }
        assert!(times[19] >= Duration::from_millis(1900));
        assert!(times[19] < Duration::from_millis(2000));
        assert_eq!(limiter.health().requests, 20);
    }

    #[tokio::test(start_paused = true)]
    async fn back_off_holds_requests_that_already_have_a_slot() {
        let limiter = Arc::new(RateLimiter::new(1.0));
        let start = Instant::now();
        limiter.acquire().await;
        // The next slot is at 1 s; a back-off of 30 s arrives while it waits.
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                limiter.acquire().await;
                Instant::now() - start
            })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            limiter.record_rate_limited(Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        let waited = waiting.await.unwrap_or_default();
        assert!(waited >= Duration::from_millis(30_500), "{waited:?}");
        let health = limiter.health();
        assert_eq!(health.errors, 1);
        assert_eq!((health.requests, health.backoff_until_unix), (2, None));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_doubling_and_success_resets() {
        let limiter = RateLimiter::new(100.0);
        assert_eq!(limiter.record_failure(None), Duration::from_secs(1));
        assert_eq!(limiter.record_failure(None), Duration::from_secs(2));
        assert_eq!(limiter.record_failure(None), Duration::from_secs(4));
        assert_eq!(
            limiter.record_failure(Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert!(limiter.health().backoff_until_unix.is_some());
        limiter.record_success();
        assert_eq!(limiter.record_failure(None), Duration::from_secs(1));
        assert_eq!(
            limiter.record_rate_limited(None),
            DEFAULT_RATE_LIMITED_BACKOFF
        );
        let health = limiter.health();
        assert_eq!(health.errors, 6);
        assert!(health.last_success_unix.is_some());
        assert!((health.requests_per_second - 100.0).abs() < 1e-6);
    }

    #[test]
    fn nonsense_rates_are_slow_not_fast() {
        for rps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(RateLimiter::new(rps).interval(), Duration::from_secs(3600));
        }
    }

    #[test]
    fn answers_are_counted_by_class() {
        let limiter = RateLimiter::new(1.0);
        for status in [
            Some(200),
            Some(304),
            Some(410),
            Some(404),
            Some(503),
            Some(418),
            None,
        ] {
            limiter.count_response(status);
        }
        let counts: std::collections::HashMap<_, _> = limiter.responses().into_iter().collect();
        assert_eq!(counts["200"], 1);
        assert_eq!(counts["304"], 1);
        assert_eq!(counts["404"], 2, "410 counts as 404");
        assert_eq!(counts["5xx"], 1);
        assert_eq!(counts["4xx"], 1);
        assert_eq!(counts["error"], 1);
        assert_eq!(counts["429"], 0);
    }
}
