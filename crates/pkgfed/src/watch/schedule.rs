//! When to check a package next: adaptive to its release rhythm, backing off on
//! errors, spread so that packages tracked together are not checked together.

use std::time::Duration;

use crate::config::WatchSettings;

const DAY: i64 = 24 * 3600;

/// Interval for a package whose newest release is `age_seconds` old (None: unknown).
///
/// Released within a week: the shortest interval. Within 90 days: the ordinary one.
/// Within a year: four times it. Older: the longest. Always within the bounds.
pub fn interval_for(settings: &WatchSettings, age_seconds: Option<i64>) -> Duration {
    let base = settings.interval;
    let wanted = match age_seconds {
        None => base,
        Some(a) if a < 7 * DAY => settings.min_interval,
        Some(a) if a < 90 * DAY => base,
        Some(a) if a < 365 * DAY => base * 4,
        Some(_) => settings.max_interval,
    };
    wanted.clamp(settings.min_interval, settings.max_interval)
}

/// Delay before retrying a package whose last `errors` checks failed: the interval
/// doubled per error, at most a day (and never less than the interval).
pub fn error_backoff(interval: Duration, errors: i64) -> Duration {
    let factor = 1u32 << errors.clamp(0, 10) as u32;
    (interval * factor).min(Duration::from_secs(DAY as u64).max(interval))
}

/// ±10 % spread, stable per package (no randomness: the schedule is reproducible).
pub fn jitter(package_id: i64, d: Duration) -> Duration {
    let h = (package_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    let percent = (h % 21) as i64 - 10; // -10..=10
    let ms = d.as_millis() as i64;
    Duration::from_millis((ms + ms * percent / 100).max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WatchSettings {
        let config = crate::config::Config::default();
        crate::config::watch::validate(
            &config.watch,
            &config.cargo,
            &config.npm,
            &config.pypi,
            &config.generic,
            &[],
            "ua".into(),
        )
        .unwrap()
    }

    #[test]
    fn busy_packages_are_checked_more_often_and_dormant_ones_less() {
        let s = settings();
        assert_eq!(interval_for(&s, Some(DAY)), Duration::from_secs(300));
        assert_eq!(interval_for(&s, Some(30 * DAY)), Duration::from_secs(900));
        assert_eq!(interval_for(&s, Some(200 * DAY)), Duration::from_secs(3600));
        assert_eq!(
            interval_for(&s, Some(3 * 365 * DAY)),
            Duration::from_secs(6 * 3600)
        );
        assert_eq!(interval_for(&s, None), Duration::from_secs(900));
    }

    #[test]
    fn errors_back_off_exponentially_up_to_a_day() {
        let i = Duration::from_secs(900);
        assert_eq!(error_backoff(i, 1), Duration::from_secs(1800));
        assert_eq!(error_backoff(i, 3), Duration::from_secs(7200));
        assert_eq!(error_backoff(i, 30), Duration::from_secs(86_400));
        assert_eq!(
            error_backoff(Duration::from_secs(2), 2),
            Duration::from_secs(8)
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent_and_spreads_packages() {
        let d = Duration::from_secs(1000);
        let spread: std::collections::HashSet<_> = (0..50)
            .map(|id| {
                let j = jitter(id, d).as_millis();
                assert!((900_000..=1_100_000).contains(&j), "{j}");
                j
            })
            .collect();
        assert!(spread.len() > 5);
    }
}
