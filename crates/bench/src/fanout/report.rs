//! The fan-out's printed figures: the table of the SQLite bench (unchanged), the
//! per-worker and PostgreSQL lines of a cluster run, and one `summary:` line to
//! paste into docs/benchmarks.md.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::FanoutArgs;
use super::inboxes::{Inboxes, Tally};
use super::processes::{Fleet, Split};
use crate::server::Memory;

/// Everything one run measured.
pub struct Figures<'a> {
    pub args: &'a FanoutArgs,
    pub activity_bytes: usize,
    pub deliveries: u64,
    pub expected: usize,
    pub publish_took: Duration,
    pub all_recorded: Duration,
    pub tally: &'a Tally,
    /// Publish → last POST.
    pub split: &'a Split,
    /// Publish → every attempt recorded.
    pub split_recorded: &'a Split,
    pub memory: &'a [Memory],
    pub inboxes: &'a Inboxes,
    pub states: &'a str,
    /// `expected` signatures on one thread.
    pub signing: Duration,
    /// Successful attempts per worker, from its `/metrics`.
    pub successes: &'a [Option<u64>],
    /// `/proc/loadavg`'s three figures before the run.
    pub load: &'a str,
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn us_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

/// The 1, 5 and 15 minute load averages, e.g. `2.43 1.01 0.38`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The processes' ids, comma-separated.
pub fn pids(fleet: &Fleet) -> String {
    fleet
        .processes
        .iter()
        .map(|s| s.pid().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Prints the report.
pub fn print(f: &Figures<'_>) {
    let n = f.expected;
    let t = f.tally;
    let (first, last) = (t.first, t.last);
    let per_sig = f.signing / n.max(1) as u32;
    let sign_cpu = per_sig * f.deliveries as u32;
    let split = f.split;
    println!(
        "\nfan-out of one Create{{Note}} ({} bytes)",
        f.activity_bytes
    );
    println!("{:<48} {}", "deliveries queued", f.deliveries);
    println!(
        "{:<48} {}",
        "publish (enqueue transaction)",
        secs(f.publish_took)
    );
    println!("{:<48} {}", "publish → first POST", secs(first));
    println!("{:<48} {}", "publish → last POST (total)", secs(last));
    println!(
        "{:<48} {}",
        "first → last POST",
        secs(last.saturating_sub(first))
    );
    println!(
        "{:<48} 50 % {}  90 % {}  99 % {}  99.9 % {}  100 % {}",
        "inboxes reached (since publish)",
        secs(t.pct(0.5)),
        secs(t.pct(0.9)),
        secs(t.pct(0.99)),
        secs(t.pct(0.999)),
        secs(t.pct(1.0))
    );
    println!(
        "{:<48} {}",
        "publish → all attempts recorded",
        secs(f.all_recorded)
    );
    println!(
        "{:<48} {:.0} /s (first→last {:.0} /s)",
        "deliveries/s over publish → last POST",
        n as f64 / last.as_secs_f64().max(1e-9),
        n as f64 / last.saturating_sub(first).as_secs_f64().max(1e-9)
    );
    println!(
        "{:<48} {} ({:.0} µs/delivery); to all recorded {}",
        "server CPU to last POST",
        secs(split.pkgfed),
        us_per(split.pkgfed, n),
        secs(f.split_recorded.pkgfed)
    );
    println!(
        "{:<48} client {}  others {}",
        "other CPU over the same span",
        secs(split.client),
        secs(split.others)
    );
    match f.memory {
        [m] => println!(
            "{:<48} VmRSS {:.1} MiB  VmHWM {:.1} MiB",
            "server memory after",
            m.rss_kib as f64 / 1024.0,
            m.hwm_kib as f64 / 1024.0
        ),
        all => println!(
            "{:<48} VmHWM {} MiB",
            "worker memory after",
            all.iter()
                .map(|m| format!("{:.1}", m.hwm_kib as f64 / 1024.0))
                .collect::<Vec<_>>()
                .join(" / ")
        ),
    }
    let i = f.inboxes;
    println!(
        "{:<48} posts {}  missing {}  duplicates {}  unexpected paths {}  unsigned {}  malformed {}  connections {}",
        "inbox servers",
        i.posts.load(Ordering::Relaxed),
        t.missing,
        t.duplicates,
        t.unexpected,
        i.unsigned.load(Ordering::Relaxed),
        i.malformed.load(Ordering::Relaxed),
        i.connections.load(Ordering::Relaxed)
    );
    println!("{:<48} {}", "delivery states after", f.states);
    println!(
        "{:<48} {} ({:.1} µs/signature)",
        "signing alone, same count, 1 thread",
        secs(f.signing),
        per_sig.as_secs_f64() * 1e6
    );
    println!(
        "{:<48} {:.2}×",
        "ratio total / signing alone",
        last.as_secs_f64() / f.signing.as_secs_f64()
    );
    println!(
        "{:<48} signing ≈ {} ({:.0} %), the rest {}",
        "server CPU split (estimate)",
        secs(sign_cpu),
        100.0 * sign_cpu.as_secs_f64() / split.pkgfed.as_secs_f64().max(1e-9),
        secs(split.pkgfed.saturating_sub(sign_cpu))
    );
    if let Some(pg) = split.postgres {
        print_cluster(f, pg.counted());
    }
    print_summary(f);
}

/// The lines only a PostgreSQL run has.
fn print_cluster(f: &Figures<'_>, pg_to_last: Duration) {
    let n = f.expected;
    let (split, rec) = (f.split, f.split_recorded);
    let per = |s: &Split| {
        s.per_process
            .iter()
            .map(|d| format!("{:.3}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "{:<48} {} s; to all recorded {} s",
        "pkgfed CPU per worker to last POST",
        per(split),
        per(rec)
    );
    let pg = split.postgres.unwrap_or_default();
    let pg_rec = rec.postgres.unwrap_or_default();
    println!(
        "{:<48} {} (run's backends {} + server-wide {}); to all recorded {}; other databases' backends {} (not counted)",
        "PostgreSQL CPU to last POST",
        secs(pg_to_last),
        secs(pg.ours),
        secs(pg.server),
        secs(pg_rec.counted()),
        secs(pg_rec.other)
    );
    println!(
        "{:<48} pkgfed {:.0} µs, pkgfed + PostgreSQL {:.0} µs; to all recorded {:.0} µs / {:.0} µs",
        "CPU per delivery (to last POST)",
        us_per(split.pkgfed, n),
        us_per(split.pkgfed + pg_to_last, n),
        us_per(rec.pkgfed, n),
        us_per(rec.pkgfed + pg_rec.counted(), n)
    );
    println!(
        "{:<48} {} (sum {})",
        "deliveries per worker (its /metrics, success)",
        f.successes
            .iter()
            .map(|s| s.map_or("?".to_owned(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join(" / "),
        f.successes.iter().flatten().sum::<u64>()
    );
}

/// One line with the figures docs/benchmarks.md tabulates.
fn print_summary(f: &Figures<'_>) {
    let n = f.expected;
    let (t, split, rec) = (f.tally, f.split, f.split_recorded);
    let pg = |s: &Split| s.postgres.map(|p| p.counted()).unwrap_or_default();
    let backend = if split.postgres.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let per_worker = if split.postgres.is_some() {
        f.successes
            .iter()
            .map(|s| s.map_or("?".to_owned(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join("/")
    } else {
        "-".to_owned()
    };
    println!(
        "summary: fanout backend={backend} workers={} servers={} followers={} deliveries={} load=\"{}\" \
         total_s={:.3} p50_s={:.3} p99_s={:.3} recorded_s={:.3} per_s={:.0} \
         pkgfed_cpu_s={:.3} pg_cpu_s={:.3} pkgfed_us={:.0} all_us={:.0} pkgfed_rec_us={:.0} all_rec_us={:.0} \
         client_s={:.3} others_s={:.3} sign_us={:.1} ratio={:.2} per_worker={per_worker} missing={} duplicates={}",
        f.memory.len(),
        f.args.servers,
        f.args.followers,
        n,
        f.load,
        t.last.as_secs_f64(),
        t.pct(0.5).as_secs_f64(),
        t.pct(0.99).as_secs_f64(),
        f.all_recorded.as_secs_f64(),
        n as f64 / t.last.as_secs_f64().max(1e-9),
        split.pkgfed.as_secs_f64(),
        pg(split).as_secs_f64(),
        us_per(split.pkgfed, n),
        us_per(split.pkgfed + pg(split), n),
        us_per(rec.pkgfed, n),
        us_per(rec.pkgfed + pg(rec), n),
        split.client.as_secs_f64(),
        split.others.as_secs_f64(),
        f.signing.as_secs_f64() * 1e6 / n.max(1) as f64,
        t.last.as_secs_f64() / f.signing.as_secs_f64(),
        t.missing,
        t.duplicates
    );
}
