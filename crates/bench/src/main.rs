//! `pkgfed-bench`: benchmarks for pkgfed. These are measurements, not tests: they
//! print numbers to compare with the performance bar in `docs/benchmarks.md` and
//! never fail because a number is low (only when the server misbehaves, e.g. a
//! signed POST is not answered 202).
//!
//! Every subcommand that needs a server runs the release `pkgfed serve` binary as a
//! subprocess on a fresh SQLite file in a temporary directory, so server and client
//! CPU are accounted separately and the real binary is measured. All traffic stays
//! on 127.0.0.1, and every loop is bounded in count and in time.
//!
//! # Layout
//! - `server`: starting, probing (RSS, CPU time) and stopping the `pkgfed` subprocess.
//! - `peer`: a loopback follower server publishing the signer's actor document.
//! - `load`: a closed-loop HTTP/1.1 load generator on raw hyper connections.
//! - `stats`: latency percentiles and report formatting.
//! - `db`: row counts and bulk seeding of the SQLite file while no server runs.
//! - `pg`: a fresh PostgreSQL database per run, seeding it, and PostgreSQL's CPU.
//! - `inbox_server`: loopback inbox servers answering 202, 503 or not at all.
//! - `inbox`, `get`, `rss`, `verify_cost`, `fanout`, `watch`, `soak`: one module per subcommand.

mod db;
mod fanout;
mod get;
mod inbox;
mod inbox_server;
mod load;
mod peer;
mod pg;
mod rss;
mod server;
mod soak;
mod stats;
mod verify_cost;
mod watch;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// Benchmarks for pkgfed; see docs/benchmarks.md.
#[derive(Debug, Parser)]
#[command(name = "pkgfed-bench", about)]
struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    command: Command,
}

/// Options shared by the subcommands that run a server.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The pkgfed binary to benchmark (default: `pkgfed` next to this binary, i.e.
    /// target/release/pkgfed for target/release/pkgfed-bench).
    #[arg(long)]
    pub pkgfed: Option<PathBuf>,
    /// Worker threads of the load generator's runtime. One keeps the client's CPU
    /// share small on a small machine (like `wrk -t1`).
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Throughput and latency of signed (draft-cavage rsa-sha256) inbox POSTs.
    Inbox(inbox::InboxArgs),
    /// Throughput and latency of WebFinger and actor document GETs.
    Get(get::GetArgs),
    /// Resident memory: idle on a fresh database, then with many packages and
    /// followers before and after a burst of GETs.
    Rss(rss::RssArgs),
    /// Cost of RSA-2048 signing and verification and of the rest of signature
    /// checking, on one thread, without a server.
    VerifyCost(verify_cost::VerifyCostArgs),
    /// One activity delivered to many followers on many loopback inbox servers,
    /// against the cost of its RSA signatures alone.
    Fanout(fanout::FanoutArgs),
    /// The registry watcher over a fixture registry: requests per hour, CPU, memory
    /// and publication-to-inbox latency with many watched packages, time-scaled.
    Watch(watch::WatchArgs),
    /// Minutes of mixed traffic (inbox POSTs at half capacity, GETs, posts delivered
    /// to a partly failing fleet) with RSS, descriptors, queue and errors each minute.
    Soak(soak::SoakArgs),
}

fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.clamp(1, 64))
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Inbox(args) => runtime(args.common.client_threads)?.block_on(inbox::run(args)),
        Command::Get(args) => runtime(args.common.client_threads)?.block_on(get::run(args)),
        Command::Rss(args) => runtime(args.common.client_threads)?.block_on(rss::run(args)),
        Command::VerifyCost(args) => verify_cost::run(&args),
        Command::Fanout(args) => runtime(args.common.client_threads)?.block_on(fanout::run(args)),
        Command::Watch(args) => runtime(args.common.client_threads)?.block_on(watch::run(args)),
        Command::Soak(args) => runtime(args.common.client_threads)?.block_on(soak::run(args)),
    }
}
