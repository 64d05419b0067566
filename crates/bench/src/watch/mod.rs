//! `watch`: the registry watcher with many watched packages, time-scaled.
//!
//! One in-process [`FixtureRegistry`] (started empty) serves the Cargo sparse index,
//! npm packuments and the PyPI JSON API (and its updates feed) on 127.0.0.1. The bench
//! publishes two versions of each of `packages` packages (a third each of cargo, npm
//! and PyPI; the newer one `--age-days` old, which decides each package's interval),
//! inserts the packages (all sharing one RSA key PEM) and one follower per package
//! straight into a fresh SQLite file, the followers' inboxes spread over a few
//! loopback inbox servers run here, and starts `pkgfed serve` with every registry
//! pointed at the fixture.
//!
//! Time scaling: at the default settings (interval 900 s, min 300 s, max 21,600 s,
//! 1 request/s per registry) one round over 3,333 packages takes 55 minutes, too long
//! to measure here. Every interval is divided by `--scale K` and every rate multiplied
//! by it; the watcher's schedule is then the default one, K times faster. Numbers are
//! reported as measured and scaled back: requests per hour at defaults = measured
//! req/s ÷ K × 3600, time from publication to the check that saw it × K. The time from
//! that check to the inbox (HTTP, database, signing, delivery) does not depend on the
//! settings and is not scaled.
//!
//! Per mode (`polling`: no change feed; `feed`: `pypi.updates_feed_url` set — cargo
//! and npm have none and poll in both):
//! 1. waits until every package has its baseline check (nothing may be posted);
//! 2. over a window of `--window-seconds` (polling) or `--feed-window-seconds`
//!    (feed; by default one whole scaled `max_interval` plus 15 %, so the yank
//!    re-checks of every PyPI package fall inside it), publishes `--samples` new
//!    versions of distinct packages evenly spread in time and over the registries,
//!    and measures the registry requests (from the fixture's request log), pkgfed's
//!    CPU (utime + stime) and memory (VmRSS sampled every second, VmHWM);
//! 3. waits until every sample's `Create` reached an inbox and reports, per
//!    registry, publication → the first `200` answer for that package (the check
//!    that saw it) → the inbox POST whose `object.id` is the version's Note.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use clap::{Args, ValueEnum};
use pkgfed_registries::adapters::cargo::index_path;
use pkgfed_registries::fixtures::{FixtureRegistry, RecordedRequest, RegistryEditor};
use pkgfed_registries::{Ecosystem, PackageId, handle};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection};

mod report;
mod setup;

use report::*;
use setup::*;

use crate::Common;
use crate::server::{Setup, cpu_time_of, free_port, machine_busy, pkgfed_bin};

/// Defaults of `[watch]` and the registries' `requests_per_second`.
const DEFAULT_INTERVAL: u64 = 900;
const DEFAULT_MIN_INTERVAL: u64 = 300;
const DEFAULT_MAX_INTERVAL: u64 = 6 * 3600;
const DEFAULT_RPS: f64 = 1.0;
/// Default of `pypi.updates_feed_interval_seconds`.
const DEFAULT_FEED_INTERVAL: u64 = 60;

const ECOSYSTEMS: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::Npm, Ecosystem::Pypi];

/// Which watcher modes to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Modes {
    /// No change feed: every registry is polled.
    Polling,
    /// `pypi.updates_feed_url` set (cargo and npm still poll).
    Feed,
    /// Polling, then feed, each on a fresh database and registry.
    Both,
}

/// `pkgfed-bench watch`
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watched packages (3 to 30000), a third each on cargo, npm and PyPI.
    #[arg(long, default_value_t = 10_000)]
    pub packages: usize,
    /// Time scale K: every interval of the defaults (900/300/21600 s, the 60 s
    /// change-feed interval) is divided by K and every rate (1 request/s per registry)
    /// multiplied by K. Must divide 60 (intervals are whole seconds).
    #[arg(long, default_value_t = 60)]
    pub scale: u64,
    /// Which modes to run.
    #[arg(long, value_enum, default_value_t = Modes::Both)]
    pub mode: Modes,
    /// Measured window in polling mode, in (real) seconds.
    #[arg(long, default_value_t = 90)]
    pub window_seconds: u64,
    /// Measured window in change-feed mode, in (real) seconds; default: the scaled
    /// max interval plus 15 %, one whole cycle of the yank re-checks.
    #[arg(long)]
    pub feed_window_seconds: Option<u64>,
    /// New versions published during each window (at most one per package), evenly
    /// spread in time and over the three registries.
    #[arg(long, default_value_t = 150)]
    pub samples: usize,
    /// Age in days of each package's newest release at start (it decides the
    /// interval: under 7 days the min interval, under 90 the interval, under 365 four
    /// times it, else the max).
    #[arg(long, default_value_t = 30)]
    pub age_days: u64,
    /// Loopback inbox servers the followers' inboxes are spread over (shared inbox
    /// `/inbox` on each).
    #[arg(long, default_value_t = 4)]
    pub inbox_servers: usize,
    /// Give up on a mode after this many seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout_seconds: u64,
    /// Keep the temporary directories (database, server log) and print their paths.
    #[arg(long)]
    pub keep: bool,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// The settings pkgfed runs with.
#[derive(Clone, Copy, Debug)]
struct Scaled {
    k: u64,
    interval: u64,
    min_interval: u64,
    max_interval: u64,
    feed_interval: u64,
    rps: f64,
}

impl Scaled {
    fn new(k: u64) -> Result<Self> {
        if k == 0 || !DEFAULT_FEED_INTERVAL.is_multiple_of(k) {
            bail!(
                "--scale must divide 60 (e.g. 1, 10, 20, 30, 60): every interval is divided by it"
            );
        }
        Ok(Self {
            k,
            interval: DEFAULT_INTERVAL / k,
            min_interval: DEFAULT_MIN_INTERVAL / k,
            max_interval: DEFAULT_MAX_INTERVAL / k,
            feed_interval: DEFAULT_FEED_INTERVAL / k,
            rps: DEFAULT_RPS * k as f64,
        })
    }
}

/// One publication during the window.
struct Sample {
    pkg: usize,
    version: String,
    at: Instant,
}

// ---------------------------------------------------------------------------------
// The benchmark

/// Runs the benchmark.
pub async fn run(args: WatchArgs) -> Result<()> {
    if !(3..=30_000).contains(&args.packages) {
        bail!("--packages must be 3 to 30000");
    }
    if !(1..=64).contains(&args.inbox_servers) {
        bail!("--inbox-servers must be 1 to 64");
    }
    let scaled = Scaled::new(args.scale)?;
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let pkgs = packages(args.packages)?;
    if args.samples == 0 || args.samples > pkgs.len() {
        bail!("--samples must be 1 to --packages");
    }
    println!(
        "{} packages ({} cargo, {} npm, {} PyPI), one follower each on {} inbox servers; newest release {} days old",
        pkgs.len(),
        pkgs.iter().filter(|p| p.eco == Ecosystem::Cargo).count(),
        pkgs.iter().filter(|p| p.eco == Ecosystem::Npm).count(),
        pkgs.iter().filter(|p| p.eco == Ecosystem::Pypi).count(),
        args.inbox_servers,
        args.age_days
    );
    println!(
        "time scale K = {}: interval {} s, min {} s, max {} s, {} requests/s per registry (defaults: 900 / 300 / 21600 s, 1 request/s)",
        scaled.k, scaled.interval, scaled.min_interval, scaled.max_interval, scaled.rps
    );
    let modes: &[bool] = match args.mode {
        Modes::Polling => &[false],
        Modes::Feed => &[true],
        Modes::Both => &[false, true],
    };
    let mut failed = Vec::new();
    for &feed in modes {
        if let Err(e) = run_mode(&args, scaled, &bin, &pkgs, feed).await {
            eprintln!(
                "{} mode failed: {e:#}",
                if feed { "feed" } else { "polling" }
            );
            failed.push(e);
        }
    }
    match failed.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn run_mode(
    args: &WatchArgs,
    scaled: Scaled,
    bin: &Path,
    pkgs: &[Pkg],
    feed: bool,
) -> Result<()> {
    let mode = if feed {
        "change-feed mode (pypi.updates_feed_url set; cargo and npm poll)"
    } else {
        "polling mode (no change feed)"
    };
    println!("\n==== {mode}");
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds.clamp(60, 7_200));
    let k = scaled.k as f64;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let database_url = format!("sqlite://{}", dir.path().join("pkgfed.db").display());

    // The registry: two versions of every package.
    let fixture = FixtureRegistry::start()
        .await
        .context("cannot start the fixture registry")?;
    let newest = now_unix() - args.age_days as i64 * 86_400;
    fixture.edit(|r| {
        for p in pkgs {
            for (version, unix) in [("1.0.0", newest - 60 * 86_400), ("1.1.0", newest)] {
                publish_in(r, p, version, unix);
            }
        }
    });

    let inboxes = Arc::new(Inboxes::default());
    let ports = start_inboxes(args.inbox_servers, &inboxes).await?;
    let t = Instant::now();
    seed_db(&database_url, pkgs, &ports).await?;
    println!(
        "seeded the registry and the database in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut env: Vec<(&str, String)> = vec![
        ("PKGFED_WATCH_ENABLED", "true".into()),
        ("PKGFED_PACKAGES_ECOSYSTEMS", "cargo,npm,pypi".into()),
        ("PKGFED_WATCH_INTERVAL_SECONDS", scaled.interval.to_string()),
        (
            "PKGFED_WATCH_MIN_INTERVAL_SECONDS",
            scaled.min_interval.to_string(),
        ),
        (
            "PKGFED_WATCH_MAX_INTERVAL_SECONDS",
            scaled.max_interval.to_string(),
        ),
        ("PKGFED_CARGO_INDEX_URL", fixture.cargo_index_url().into()),
        ("PKGFED_CARGO_REQUESTS_PER_SECOND", scaled.rps.to_string()),
        ("PKGFED_NPM_REGISTRY_URL", fixture.npm_url().into()),
        ("PKGFED_NPM_REQUESTS_PER_SECOND", scaled.rps.to_string()),
        ("PKGFED_PYPI_URL", fixture.pypi_url().into()),
        ("PKGFED_PYPI_REQUESTS_PER_SECOND", scaled.rps.to_string()),
    ];
    if feed {
        env.push((
            "PKGFED_PYPI_UPDATES_FEED_URL",
            fixture.pypi_updates_url().into(),
        ));
        env.push((
            "PKGFED_PYPI_UPDATES_FEED_INTERVAL_SECONDS",
            scaled.feed_interval.to_string(),
        ));
    }
    // Picked after the inbox servers bound their ports.
    let port = free_port()?;
    let setup = Setup {
        bin: bin.to_owned(),
        dir: dir.path().to_owned(),
        database_url: database_url.clone(),
        env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    };
    let server = setup.start(port, "watch")?;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str(&database_url)?.read_only(true))
        .await
        .context("cannot open the database for reading")?;

    // 1. Baseline: every package checked once; nothing may be posted.
    let started = Instant::now();
    let cpu0 = server.cpu()?;
    let mut done_at: HashMap<String, Duration> = HashMap::new();
    let per_eco = (pkgs.len() / 3) as i64;
    loop {
        let counts = baseline_counts(&pool).await?;
        for (eco, (n, b)) in &counts {
            if *n >= per_eco && b >= n && !done_at.contains_key(eco) {
                done_at.insert(eco.clone(), started.elapsed());
            }
        }
        if done_at.len() == 3 {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "baselines incomplete: {counts:?}; pkgfed's log:\n{}",
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let baseline_took = started.elapsed();
    let baseline_cpu = server.cpu()?.saturating_sub(cpu0);
    let baseline_requests = count(&fixture.requests(), started, Instant::now());
    println!(
        "baselines done after {} (cargo {}, npm {}, pypi {}); pkgfed CPU {:.1} s; registry requests cargo {}, npm {}, pypi {} (+{} feed); POSTs so far {}",
        human(baseline_took.as_secs_f64()),
        human(done_at["cargo"].as_secs_f64()),
        human(done_at["npm"].as_secs_f64()),
        human(done_at["pypi"].as_secs_f64()),
        baseline_cpu.as_secs_f64(),
        baseline_requests
            .get(&Ecosystem::Cargo)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Npm)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Pypi)
            .map_or(0, |c| c.packages),
        baseline_requests
            .get(&Ecosystem::Pypi)
            .map_or(0, |c| c.feed),
        inboxes.posts.load(Ordering::Relaxed),
    );
    let posts_in_baseline = inboxes.posts.load(Ordering::Relaxed);

    // 2. The window: publications, requests, CPU, memory.
    let window = Duration::from_secs(if feed {
        args.feed_window_seconds
            .unwrap_or(scaled.max_interval * 115 / 100)
    } else {
        args.window_seconds
    })
    .max(Duration::from_secs(5));
    let picks = {
        let mut chosen = Vec::with_capacity(args.samples);
        let mut seen = HashSet::new();
        let mut draw = 0u64;
        while chosen.len() < args.samples {
            let eco = chosen.len() % 3;
            let j = (mix(draw) % (pkgs.len() as u64 / 3)) as usize;
            draw += 1;
            let i = j * 3 + eco;
            if i < pkgs.len() && seen.insert(i) {
                chosen.push(i);
            }
        }
        chosen
    };
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak_rss.clone();
        let pid = server.pid();
        tokio::spawn(async move {
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
        })
    };
    let w0 = Instant::now();
    let cpu_w0 = server.cpu()?;
    let self_w0 = cpu_time_of("self")?;
    let machine_w0 = machine_busy()?;
    let mem_w0 = server.memory()?;
    let mut samples = Vec::with_capacity(picks.len());
    for (n, &i) in picks.iter().enumerate() {
        let due = w0 + window.mul_f64((n as f64 + 0.5) / picks.len() as f64);
        tokio::time::sleep_until(due.into()).await;
        let version = "2.0.0".to_owned();
        let at = Instant::now();
        publish(&fixture, &pkgs[i], &version, now_unix());
        samples.push(Sample {
            pkg: i,
            version,
            at,
        });
    }
    tokio::time::sleep_until((w0 + window).into()).await;
    let w1 = Instant::now();
    let cpu_window = server.cpu()?.saturating_sub(cpu_w0);
    let self_window = cpu_time_of("self")?.saturating_sub(self_w0);
    let machine_window = machine_busy()?.saturating_sub(machine_w0);
    let mem_w1 = server.memory()?;
    let demand = schedule_demand(&pool).await?;
    let window_requests = count(&fixture.requests(), w0, w1);

    // 3. Every sample delivered (or the deadline).
    let round = pkgs.len() as f64 / 3.0 / scaled.rps;
    let drain_until = (Instant::now()
        + Duration::from_secs_f64(2.0 * round.max(scaled.min_interval as f64) + 30.0))
    .min(deadline);
    loop {
        let arrived = {
            let r = inboxes.releases.lock().unwrap_or_else(|e| e.into_inner());
            samples
                .iter()
                .filter(|s| r.contains_key(&(pkgs[s.pkg].handle.clone(), s.version.clone())))
                .count()
        };
        if arrived == samples.len() || Instant::now() > drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sampler.abort();
    let mem_end = server.memory()?;
    let cpu_total = server.cpu()?.saturating_sub(cpu0);
    let all_requests = fixture.requests();
    let warnings = server.warnings();
    server.stop()?;
    pool.close().await;

    // Latencies per registry: publish → check that saw it → inbox.
    let arrivals = inboxes
        .releases
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut first_ok: HashMap<&str, Vec<Instant>> = HashMap::new();
    let sampled_paths: HashSet<&str> = samples.iter().map(|s| pkgs[s.pkg].path.as_str()).collect();
    for r in &all_requests {
        if r.status == 200 && sampled_paths.contains(r.path.as_str()) {
            first_ok.entry(r.path.as_str()).or_default().push(r.at);
        }
    }
    struct Lat {
        detect: Vec<f64>,
        deliver: Vec<f64>,
        total: Vec<f64>,
        scaled_total: Vec<f64>,
        missing: usize,
    }
    let mut lat: HashMap<Ecosystem, Lat> = HashMap::new();
    for s in &samples {
        let p = &pkgs[s.pkg];
        let l = lat.entry(p.eco).or_insert_with(|| Lat {
            detect: Vec::new(),
            deliver: Vec::new(),
            total: Vec::new(),
            scaled_total: Vec::new(),
            missing: 0,
        });
        let arrived = arrivals.get(&(p.handle.clone(), s.version.clone()));
        let seen = first_ok
            .get(p.path.as_str())
            .and_then(|v| v.iter().find(|&&t| t > s.at).copied());
        match (seen, arrived) {
            (Some(seen), Some(&arrived)) => {
                let detect = seen.duration_since(s.at).as_secs_f64();
                let deliver = arrived.saturating_duration_since(seen).as_secs_f64();
                l.detect.push(detect);
                l.deliver.push(deliver);
                l.total.push(arrived.duration_since(s.at).as_secs_f64());
                l.scaled_total.push(detect * k + deliver);
            }
            _ => l.missing += 1,
        }
    }

    // Report.
    let w = w1.duration_since(w0).as_secs_f64();
    println!(
        "window {:.0} s (= {} at defaults), {} publications; other CPU: bench {:.1} s, other processes {:.1} s ({:.2} cores)",
        w,
        human(w * k),
        samples.len(),
        self_window.as_secs_f64(),
        machine_window
            .saturating_sub(cpu_window + self_window)
            .as_secs_f64(),
        machine_window
            .saturating_sub(cpu_window + self_window)
            .as_secs_f64()
            / w
    );
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

    println!(
        "\npkgfed CPU in the window {:.2} s = {:.3} cores; {:.0} µs per registry request; at defaults ≈ {:.1} CPU-s per hour ({:.4} cores)",
        cpu_window.as_secs_f64(),
        cpu_window.as_secs_f64() / w,
        cpu_window.as_secs_f64() * 1e6 / total_req.max(1) as f64,
        cpu_window.as_secs_f64() / w / k * 3600.0,
        cpu_window.as_secs_f64() / w / k,
    );
    println!(
        "pkgfed CPU baseline {:.1} s ({:.0} µs per package); whole mode {:.1} s",
        baseline_cpu.as_secs_f64(),
        baseline_cpu.as_secs_f64() * 1e6 / pkgs.len() as f64,
        cpu_total.as_secs_f64()
    );
    println!(
        "pkgfed memory: VmRSS at window start {}, end {}, peak sampled {}; after drain {}; VmHWM {}",
        mib(mem_w0.rss_kib),
        mib(mem_w1.rss_kib),
        mib(peak_rss.load(Ordering::Relaxed)),
        mib(mem_end.rss_kib),
        mib(mem_end.hwm_kib)
    );

    println!(
        "\nnotification latency, publication → inbox (measured; at defaults = (publication → check) × K + (check → inbox))"
    );
    println!(
        "{:<6} {:>4} {:>4} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14} {:>14}",
        "",
        "n",
        "lost",
        "detect p50",
        "detect p99",
        "deliver p50",
        "deliver p99",
        "total p50",
        "total p99",
        "dflt p50",
        "dflt p99",
        "dflt max"
    );
    let mut lost = 0;
    for eco in ECOSYSTEMS {
        let Some(l) = lat.get_mut(&eco) else {
            continue;
        };
        for v in [
            &mut l.detect,
            &mut l.deliver,
            &mut l.total,
            &mut l.scaled_total,
        ] {
            v.sort_by(f64::total_cmp);
        }
        lost += l.missing;
        println!(
            "{:<6} {:>4} {:>4} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14} {:>14}",
            eco.as_str(),
            l.total.len(),
            l.missing,
            human(pct(&l.detect, 50.0)),
            human(pct(&l.detect, 99.0)),
            human(pct(&l.deliver, 50.0)),
            human(pct(&l.deliver, 99.0)),
            human(pct(&l.total, 50.0)),
            human(pct(&l.total, 99.0)),
            human(pct(&l.scaled_total, 50.0)),
            human(pct(&l.scaled_total, 99.0)),
            human(pct(&l.scaled_total, 100.0)),
        );
    }
    let polling_round = pkgs.len() as f64 / 3.0 / DEFAULT_RPS;
    println!(
        "(polling round at defaults: {} packages ÷ {} req/s = {}; feed read every {} s at defaults)",
        pkgs.len() / 3,
        DEFAULT_RPS,
        human(polling_round),
        DEFAULT_FEED_INTERVAL
    );
    let posts = inboxes.posts.load(Ordering::Relaxed);
    println!(
        "\ninbox POSTs {} (during baselines {}), not a release Create naming its version {}; pkgfed WARN/ERROR log lines {}",
        posts,
        posts_in_baseline,
        inboxes.other.load(Ordering::Relaxed),
        warnings.len()
    );
    for l in warnings.iter().take(5) {
        println!("  {l}");
    }
    if args.keep {
        println!("kept: {}", dir.keep().display());
    }
    if posts_in_baseline > 0 {
        bail!("{posts_in_baseline} POSTs during the baselines (a baseline must post nothing)");
    }
    if lost > 0 {
        bail!("{lost} publications did not reach an inbox in time");
    }
    Ok(())
}
