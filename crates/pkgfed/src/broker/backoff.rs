//! Reconnection back-off: doubling from half a second up to a cap, each wait drawn
//! at random from its upper half, so processes that lost the broker together do not
//! come back in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// The first wait before jitter.
const BASE: Duration = Duration::from_millis(500);

/// The waits between attempts of one outage.
#[derive(Debug)]
pub struct Backoff {
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// Waits doubling up to `cap`.
    pub fn new(cap: Duration) -> Self {
        Self { cap, attempt: 0 }
    }

    /// Starts over (after a successful connection).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The wait before the next attempt: in `[d/2, d]` where `d` doubles per call
    /// from 500 ms and is never above the cap.
    pub fn next_wait(&mut self) -> Duration {
        let d = BASE
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let half = d / 2;
        let spread = (d - half).as_millis() as u64;
        half + Duration::from_millis(random_u64() % (spread + 1))
    }
}

/// A random number without a dependency: std's per-process random hash keys (each
/// `RandomState` differs) over the current time.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_secs(4));
        let bounds = [(250, 500), (500, 1000), (1000, 2000), (2000, 4000)];
        for (lo, hi) in bounds {
            let w = b.next_wait().as_millis();
            assert!((lo..=hi).contains(&w), "{w} not in {lo}..={hi}");
        }
        for _ in 0..40 {
            let w = b.next_wait().as_millis();
            assert!((2000..=4000).contains(&w), "{w} above the cap");
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(500));
    }

    #[test]
    fn the_waits_vary() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            seen.insert(Backoff::new(Duration::from_secs(30)).next_wait());
        }
        assert!(seen.len() > 1, "no jitter: {seen:?}");
    }
}
