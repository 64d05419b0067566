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

/// Samples `pid`'s VmRSS every second until aborted; the peak in KiB.
pub(super) fn sample_peak_rss(pid: u32) -> (tokio::task::JoinHandle<()>, Arc<AtomicU64>) {
    let peak_rss = Arc::new(AtomicU64::new(0));
    let peak = peak_rss.clone();
    let sampler = tokio::spawn(async move {
        loop {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                && let Some(kib) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|n| n.parse::<u64>().ok())
            {
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    (sampler, peak_rss)
}

/// Prints the registry requests of the window (`w` seconds) per registry against
/// what the schedule asks for; the total.
pub(super) fn print_requests(
    window_requests: &HashMap<Ecosystem, Counts>,
    demand: &HashMap<String, (f64, i64)>,
    w: f64,
    k: f64,
    feed: bool,
) -> u64 {
    println!(
        "\n{:<6} {:>10} {:>9} {:>7} {:>6} {:>6} {:>12} {:>14} {:>14} {:>8}",
        "",
        "requests",
        "req/s",
        "304",
        "200",
        "err",
        "feed reads",
        "req/h at dflt",
        "demand req/h",
        "backlog"
    );
    let mut total_req = 0u64;
    for eco in ECOSYSTEMS {
        let c = window_requests.get(&eco).copied().unwrap_or_default();
        let n = c.packages + c.feed;
        total_req += n;
        let (d, backlog) = demand.get(eco.as_str()).copied().unwrap_or_default();
        println!(
            "{:<6} {:>10} {:>9.1} {:>7} {:>6} {:>6} {:>12} {:>14.0} {:>14.0} {:>8}",
            eco.as_str(),
            n,
            n as f64 / w,
            c.not_modified,
            c.ok,
            c.errors,
            c.feed,
            n as f64 / w / k * 3600.0,
            // Checks the schedule asks for, at defaults, plus the feed reads.
            d / k * 3600.0
                + if feed && eco == Ecosystem::Pypi {
                    3600.0 / DEFAULT_FEED_INTERVAL as f64
                } else {
                    0.0
                },
            backlog
        );
    }
    println!(
        "(req/h at dflt = measured req/s ÷ K × 3600; demand = Σ 1/interval over the packages' scheduled intervals at the window's end, ÷ K × 3600, plus feed reads; the rate limit caps a registry at {:.0} req/h at defaults; backlog = packages overdue at the window's end)",
        DEFAULT_RPS * 3600.0
    );
    total_req
}
