//! The retry schedule: 1 min, 5 min, 30 min, 2 h, 12 h, 24 h after the failed
//! attempt, each with ±10 % jitter so a recovering server is not hit by every
//! queued delivery at the same instant. After the sixth retry fails the delivery is
//! given up (exhausted).

use std::time::Duration;

/// Delays after the 1st, 2nd, … failed attempt.
pub const RETRY_DELAYS: [Duration; 6] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(24 * 3600),
];

/// When to try again after `attempts` attempts have failed (1-based), or None when
/// the retries are exhausted. `seed` varies the jitter per delivery; a server's
/// `Retry-After` is honoured when it asks for longer.
pub fn next_attempt_ms(
    now_ms: i64,
    attempts: u32,
    seed: i64,
    retry_after: Option<Duration>,
) -> Option<i64> {
    let base = *RETRY_DELAYS.get(attempts.checked_sub(1)? as usize)?;
    let base_ms = base.as_millis() as i64;
    let jitter = jitter_permille(seed, attempts);
    let delay = base_ms + base_ms * jitter / 1000;
    let floor = retry_after.map(|d| d.as_millis() as i64).unwrap_or(0);
    Some(now_ms + delay.max(floor))
}

/// A deterministic value in −100..=100 (per mille) from the delivery and attempt.
fn jitter_permille(seed: i64, attempts: u32) -> i64 {
    // SplitMix64 finaliser: cheap, well mixed, reproducible in tests.
    let mut z = (seed as u64) ^ (u64::from(attempts) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % 201) as i64 - 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_with_jitter_and_exhaustion() {
        for (i, base) in RETRY_DELAYS.iter().enumerate() {
            let base = base.as_millis() as i64;
            for seed in 0..50 {
                let at = next_attempt_ms(1_000, i as u32 + 1, seed, None).unwrap() - 1_000;
                assert!(
                    at >= base * 9 / 10 && at <= base * 11 / 10,
                    "attempt {}: {at} vs {base}",
                    i + 1
                );
            }
        }
        assert_eq!(
            next_attempt_ms(0, 7, 1, None),
            None,
            "six retries, then give up"
        );
        assert_eq!(next_attempt_ms(0, 0, 1, None), None);
        // Jitter differs between deliveries.
        let spread: std::collections::HashSet<i64> = (0..20)
            .map(|s| next_attempt_ms(0, 1, s, None).unwrap())
            .collect();
        assert!(spread.len() > 10);
    }

    #[test]
    fn retry_after_is_honoured_when_longer() {
        let at = next_attempt_ms(0, 1, 3, Some(Duration::from_secs(600))).unwrap();
        assert_eq!(at, 600_000);
        let at = next_attempt_ms(0, 1, 3, Some(Duration::from_secs(5))).unwrap();
        assert!(
            at >= 54_000,
            "a short Retry-After does not shorten the schedule"
        );
    }
}
