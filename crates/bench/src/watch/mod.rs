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

mod latency;
mod mode;
mod report;
mod setup;

use latency::*;
use mode::run_mode;
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
