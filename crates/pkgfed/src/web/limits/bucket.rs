//! Token buckets per key (a remote host, a client IP) in a map of bounded size.
//!
//! Hand-written rather than `governor`: its keyed store grows with every distinct key
//! until someone calls `retain_recent`, with no maximum, and pkgfed needs a hard
//! bound so a flood of distinct hosts or addresses cannot grow memory. The bucket
//! itself is a dozen lines: tokens refill continuously at the configured rate up to
//! the burst, a request takes one, and when none is left the time until the next one
//! is the `Retry-After`.
//!
//! When the map is full, buckets that have refilled completely are dropped (an idle
//! key loses nothing: a new bucket starts full too); if it is still full, keys not in
//! the map share one overflow bucket until space frees up. One mutex guards the map:
//! the critical section is a hash lookup and a few float operations.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Rate;

/// A full map is swept for idle buckets at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: &Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            at: now,
        }
    }

    fn refill(&mut self, rate: &Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let per_second = f64::from(rate.per_period) / rate.period.as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(f64::from(rate.burst));
        self.at = now;
    }

    /// Takes a token, or says how long until one is there.
    fn take(&mut self, rate: &Rate, now: Instant) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let per_second = f64::from(rate.per_period) / rate.period.as_secs_f64();
        Err(Duration::from_secs_f64((1.0 - self.tokens) / per_second))
    }

    fn is_full(&self, rate: &Rate, now: Instant) -> bool {
        let mut b = *self;
        b.refill(rate, now);
        b.tokens >= f64::from(rate.burst)
    }
}

struct Buckets<K> {
    map: HashMap<K, Bucket>,
    overflow: Bucket,
    last_sweep: Instant,
}

/// Token buckets of one shape, one per key, at most `max` keys.
pub struct KeyedBuckets<K> {
    rate: Rate,
    max: usize,
    state: Mutex<Buckets<K>>,
}

impl<K: Hash + Eq + Clone> KeyedBuckets<K> {
    /// Buckets of `rate`, tracking at most `max` keys.
    pub fn new(rate: Rate, max: usize) -> Self {
        let now = Instant::now();
        Self {
            rate,
            max: max.max(1),
            state: Mutex::new(Buckets {
                map: HashMap::new(),
                overflow: Bucket::full(&rate, now),
                last_sweep: now,
            }),
        }
    }

    /// Whether this limits anything (a rate of 0 is off).
    pub fn is_limited(&self) -> bool {
        self.rate.is_limited()
    }

    /// Takes a token from `key`'s bucket at `now`; `Err` carries the wait until the
    /// next one.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if !self.is_limited() {
            return Ok(());
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = s.map.get_mut(key) {
            return b.take(&self.rate, now);
        }
        if s.map.len() >= self.max && now.saturating_duration_since(s.last_sweep) >= SWEEP_EVERY {
            let rate = self.rate;
            s.map.retain(|_, b| !b.is_full(&rate, now));
            s.last_sweep = now;
        }
        if s.map.len() >= self.max {
            return s.overflow.take(&self.rate, now);
        }
        let mut b = Bucket::full(&self.rate, now);
        let result = b.take(&self.rate, now);
        s.map.insert(key.clone(), b);
        result
    }

    /// The shape of these buckets.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Keys tracked now.
    pub fn tracked(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_second: u32, burst: u32) -> Rate {
        Rate {
            per_period: per_second,
            period: Duration::from_secs(1),
            burst,
        }
    }

    #[test]
    fn a_burst_then_refusal_then_refill() {
        let b = KeyedBuckets::new(rate(2, 3), 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take(&"a", t0).is_ok());
        }
        let wait = b.take(&"a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        // Another key has its own bucket.
        assert!(b.take(&"b", t0).is_ok());
        // Half a second later one token is back, not two.
        let t1 = t0 + Duration::from_millis(500);
        assert!(b.take(&"a", t1).is_ok());
        assert!(b.take(&"a", t1).is_err());
    }

    #[test]
    fn a_zero_rate_never_refuses() {
        let b = KeyedBuckets::new(rate(0, 0), 1);
        let t0 = Instant::now();
        for i in 0..100 {
            assert!(b.take(&i, t0).is_ok());
        }
        assert_eq!(b.tracked(), 0);
    }

    #[test]
    fn the_map_never_grows_past_its_bound() {
        let b = KeyedBuckets::new(rate(1, 1), 100);
        let t0 = Instant::now();
        for i in 0..10_000u32 {
            let _ = b.take(&i, t0);
        }
        assert_eq!(b.tracked(), 100);
        // Newcomers beyond the bound share the overflow bucket: one token for all.
        assert!(b.take(&20_000, t0).is_err());
        // Once the tracked buckets have refilled (idle), a sweep makes room again.
        let later = t0 + Duration::from_secs(2);
        assert!(b.take(&30_000, later).is_ok());
        assert_eq!(b.tracked(), 1);
    }
}
