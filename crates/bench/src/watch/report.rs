//! The watch bench's counting and formatting of requests, latencies and memory.

use super::*;
/// Which registry (and which of its documents) a fixture request was for.
pub(super) fn class_of(path: &str) -> Option<(Ecosystem, bool)> {
    if path.starts_with("/cargo/") {
        Some((Ecosystem::Cargo, false))
    } else if path.starts_with("/npm/") {
        Some((Ecosystem::Npm, false))
    } else if path == "/pypi/rss/updates.xml" {
        Some((Ecosystem::Pypi, true))
    } else if path.starts_with("/pypi/") {
        Some((Ecosystem::Pypi, false))
    } else {
        None
    }
}

/// Requests of one registry over a span.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    pub(super) packages: u64,
    pub(super) not_modified: u64,
    pub(super) ok: u64,
    pub(super) errors: u64,
    pub(super) feed: u64,
}

pub(super) fn count(
    requests: &[RecordedRequest],
    from: Instant,
    to: Instant,
) -> HashMap<Ecosystem, Counts> {
    let mut out: HashMap<Ecosystem, Counts> = HashMap::new();
    for r in requests.iter().filter(|r| r.at >= from && r.at < to) {
        let Some((eco, feed)) = class_of(&r.path) else {
            continue;
        };
        let c = out.entry(eco).or_default();
        if feed {
            c.feed += 1;
        } else {
            c.packages += 1;
            match r.status {
                200 => c.ok += 1,
                304 => c.not_modified += 1,
                _ => c.errors += 1,
            }
        }
    }
    out
}

/// Nearest-rank percentile of sorted `v`.
pub(super) fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let rank = ((v.len() as f64 * p / 100.0).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Seconds as a short human duration.
pub(super) fn human(s: f64) -> String {
    if s.is_nan() {
        "—".into()
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.2} h", s / 3600.0)
    }
}

pub(super) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A cheap deterministic scramble (splitmix64), to pick sample packages.
pub(super) fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
