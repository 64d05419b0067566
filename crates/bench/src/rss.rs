//! `rss`: resident memory of `pkgfed serve`.
//!
//! 1. A fresh database: start, wait, read VmRSS (idle).
//! 2. Stop; seed `packages` packages and `followers` followers straight into the
//!    SQLite file; start again on it, wait, read VmRSS (idle, large database).
//! 3. Send `requests` GETs spread over many actors, WebFinger lookups and followers
//!    collections and pages; wait; read VmRSS (idle after load) and VmHWM (peak).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::load::{self, Plan};
use crate::server::{Memory, Setup, free_port, pkgfed_bin};
use crate::{Common, db};

/// `pkgfed-bench rss`
#[derive(Debug, Args)]
pub struct RssArgs {
    /// Packages to seed (1 to 100000).
    #[arg(long, default_value_t = 10_000)]
    pub packages: usize,
    /// Follow rows to seed (at most 1000000), each from a distinct remote actor.
    #[arg(long, default_value_t = 100_000)]
    pub followers: usize,
    /// GETs sent to the seeded server (at most 1000000).
    #[arg(long, default_value_t = 5_000)]
    pub requests: usize,
    /// Parallel connections for those GETs.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seconds to wait before each idle reading.
    #[arg(long, default_value_t = 3)]
    pub idle_seconds: u64,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn print_memory(label: &str, m: Memory) {
    println!(
        "{label:<44} VmRSS {:>10}   VmHWM {:>10}",
        mib(m.rss_kib),
        mib(m.hwm_kib)
    );
}

/// A cheap deterministic scramble of `i` (splitmix64), to pick targets.
fn mix(i: usize) -> u64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs the benchmark.
pub async fn run(args: RssArgs) -> Result<()> {
    if !(1..=100_000).contains(&args.packages) {
        bail!("--packages must be 1 to 100000");
    }
    if args.followers > 1_000_000 || args.requests > 1_000_000 {
        bail!("--followers and --requests are at most 1000000");
    }
    let idle = Duration::from_secs(args.idle_seconds.min(60));
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let setup = Setup::new(bin, dir.path());

    // 1. Fresh database.
    let server = setup.start(free_port()?, "fresh")?;
    tokio::time::sleep(idle).await;
    let fresh = server.memory()?;
    print_memory("idle, fresh database", fresh);
    server.stop()?;

    // 2. Seeded database.
    let t = Instant::now();
    let seeded = db::seed(&setup.database_url, args.packages, args.followers, false).await?;
    let db_size = std::fs::metadata(setup.database_path()).map_or(0, |m| m.len());
    println!(
        "seeded {} packages and {} followers in {:.1} s; database {:.1} MiB",
        args.packages,
        args.followers,
        t.elapsed().as_secs_f64(),
        db_size as f64 / (1024.0 * 1024.0)
    );
    let server = setup.start(free_port()?, "seeded")?;
    tokio::time::sleep(idle).await;
    let seeded_idle = server.memory()?;
    print_memory("idle, seeded database", seeded_idle);

    // 3. GETs over many actors and collections.
    let host = server.host();
    let handles: Arc<Vec<String>> =
        Arc::new(seeded.packages.iter().map(|p| p.handle.clone()).collect());
    let popular = seeded.popular.max(1);
    let followers = args.followers.max(1) as u64;
    let make = {
        let host = host.clone();
        Arc::new(move |i: usize| {
            let r = mix(i);
            let any = &handles[(r >> 8) as usize % handles.len()];
            let hot = &handles[(r >> 8) as usize % popular.min(handles.len())];
            match r % 10 {
                // 40 %: actor documents of any package.
                0..=3 => load::get(
                    &host,
                    &format!("/packages/{any}"),
                    "application/activity+json",
                ),
                // 20 %: WebFinger of any package.
                4 | 5 => load::get(
                    &host,
                    &format!("/.well-known/webfinger?resource=acct:{any}@{host}"),
                    "application/jrd+json",
                ),
                // 20 %: followers collections (counts) of any package.
                6 | 7 => load::get(
                    &host,
                    &format!("/packages/{any}/followers"),
                    "application/activity+json",
                ),
                // 10 %: first followers page of a popular package.
                8 => load::get(
                    &host,
                    &format!("/packages/{hot}/followers?page=true"),
                    "application/activity+json",
                ),
                // 10 %: a deep followers page of a popular package.
                _ => load::get(
                    &host,
                    &format!("/packages/{hot}/followers?after={}", (r >> 20) % followers),
                    "application/activity+json",
                ),
            }
        })
    };
    let outcome = load::run(
        server.addr,
        Plan {
            concurrency: args.concurrency.clamp(1, 1024),
            max_requests: args.requests,
            max_duration: Duration::from_secs(300),
        },
        make,
    )
    .await?;
    println!(
        "sent {} GETs in {:.1} s ({:.0} req/s): {:?}, {} errors",
        outcome.answered(),
        outcome.elapsed.as_secs_f64(),
        outcome.rps(),
        outcome.statuses,
        outcome.errors
    );
    let right_after = server.memory()?;
    print_memory("right after the GETs", right_after);
    tokio::time::sleep(idle).await;
    let after = server.memory()?;
    print_memory("idle after the GETs (VmHWM = peak)", after);
    server.stop()?;
    if outcome.unexpected(200) > 0 {
        bail!(
            "{} GETs were not answered 200: {:?} {:?}",
            outcome.unexpected(200),
            outcome.statuses,
            outcome.error_samples
        );
    }
    Ok(())
}
