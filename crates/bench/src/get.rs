//! `get`: WebFinger, actor document and HTML package page GETs.
//!
//! One package actor is added with `pkgfed packages add` and given 200 releases and
//! 1,000 followers (so the page renders a real list); then, for each endpoint
//! in turn, `concurrency` keep-alive connections GET it for `warmup-seconds`
//! (unmeasured) and `seconds` (measured). Every answer must be 200.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::load::{self, Plan};
use crate::server::{CpuProbe, Server, Setup, free_port, pkgfed_bin};
use crate::{Common, stats};

/// Versions and followers the package gets before the run (its page shows the
/// newest releases and the follower count).
const HISTORY_RELEASES: usize = 200;
const HISTORY_FOLLOWERS: usize = 1_000;

/// Most requests one measured phase records (bounds memory).
const MAX_REQUESTS: usize = 5_000_000;

/// `pkgfed-bench get`
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Measured seconds per endpoint (1 to 120).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Parallel keep-alive connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Unmeasured seconds before each measured phase.
    #[arg(long, default_value_t = 2)]
    pub warmup_seconds: u64,
    /// Also load each endpoint with `wrk` (must be on PATH; `apt-get install wrk`)
    /// for the same time and connections, as a cross-check of this load generator.
    #[arg(long)]
    pub wrk: bool,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// Runs the benchmark.
pub async fn run(args: GetArgs) -> Result<()> {
    if !(1..=120).contains(&args.seconds) {
        bail!("--seconds must be 1 to 120");
    }
    let concurrency = args.concurrency.clamp(1, 1024);
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let setup = Setup::new(bin, dir.path());
    let port = free_port()?;
    let handle = setup.add_package(port, "pkg:cargo/serde")?;
    // The page lists the newest releases and counts the followers: give it some.
    crate::db::seed_history(
        &setup.database_url,
        &handle,
        HISTORY_RELEASES,
        HISTORY_FOLLOWERS,
    )
    .await?;
    let server = setup.start(port, "get")?;
    let host = server.host();
    println!(
        "pkgfed pid {} on {}; package @{handle}@{host}",
        server.pid(),
        server.base()
    );

    let targets: [(&str, String, &'static str); 3] = [
        (
            "webfinger",
            format!("/.well-known/webfinger?resource=acct:{handle}@{host}"),
            "application/jrd+json",
        ),
        (
            "actor",
            format!("/packages/{handle}"),
            "application/activity+json",
        ),
        // The same URL as a browser asks for it: the package page (template render
        // and its four bounded store queries).
        ("page", format!("/packages/{handle}"), "text/html"),
    ];
    let mut failed = 0;
    for (name, path, accept) in targets {
        let make = {
            let (host, path) = (host.clone(), path.clone());
            Arc::new(move |_| load::get(&host, &path, accept))
        };
        let warm = load::run(
            server.addr,
            Plan {
                concurrency,
                max_requests: MAX_REQUESTS,
                max_duration: Duration::from_secs(args.warmup_seconds.min(60)),
            },
            make.clone(),
        )
        .await?;
        if warm.unexpected(200) > 0 {
            bail!(
                "GET {path} was not answered 200 during warm-up: {:?} {:?}",
                warm.statuses,
                warm.error_samples
            );
        }
        let probe = CpuProbe::start(&server)?;
        let mut outcome = load::run(
            server.addr,
            Plan {
                concurrency,
                max_requests: MAX_REQUESTS,
                max_duration: Duration::from_secs(args.seconds),
            },
            make,
        )
        .await?;
        let cpu = probe.finish()?;
        stats::report(
            &format!("get {name}: GET {path} (Accept: {accept}), {concurrency} connections"),
            &mut outcome,
            200,
            cpu,
        );
        failed += outcome.unexpected(200);
        if args.wrk {
            run_wrk(&server, &path, accept, concurrency, args.seconds)?;
        }
    }
    let mem = server.memory()?;
    println!(
        "server   VmRSS {} KiB, VmHWM {} KiB",
        mem.rss_kib, mem.hwm_kib
    );
    server.stop()?;
    if failed > 0 {
        bail!("{failed} GETs were not answered 200");
    }
    Ok(())
}

/// Runs `wrk -t1` on one endpoint and prints its summary with the server's CPU.
fn run_wrk(
    server: &Server,
    path: &str,
    accept: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<()> {
    let probe = CpuProbe::start(server)?;
    let out = std::process::Command::new("wrk")
        .args(["-t1", "--latency", "--timeout", "10s"])
        .arg(format!("-c{concurrency}"))
        .arg(format!("-d{seconds}s"))
        .args(["-H", &format!("Accept: {accept}")])
        .arg(format!("{}{path}", server.base()))
        .output()
        .context("cannot run wrk (install it with `apt-get install wrk`)")?;
    let cpu = probe.finish()?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let requests: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default();
    println!("-- wrk cross-check (wrk -t1 -c{concurrency} -d{seconds}s):");
    for line in text.lines().filter(|l| {
        let t = l.trim_start();
        t.starts_with("Latency")
            || t.starts_with("50%")
            || t.starts_with("90%")
            || t.starts_with("99%")
            || t.starts_with("Requests/sec")
            || t.starts_with("Non-2xx")
            || t.starts_with("Socket errors")
    }) {
        println!("   {}", line.trim());
    }
    let secs = seconds.max(1) as f64;
    println!(
        "   server {:.1} µs/req ({:.2} cores); wrk and everything else {:.2} cores",
        cpu.server.as_secs_f64() * 1e6 / (requests * secs).max(1.0),
        cpu.server.as_secs_f64() / secs,
        (cpu.client + cpu.others).as_secs_f64() / secs,
    );
    Ok(())
}
