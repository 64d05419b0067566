//! `fanout`: one activity delivered to many followers on many hosts.
//!
//! `servers` loopback inbox servers run in this process (minimal HTTP/1.1 on
//! 127.0.0.1:0, keep-alive, answering 202 and counting POSTs per path; a POST
//! without a `Signature` header naming `rsa-sha256` is counted as unsigned). One
//! package is added with `pkgfed packages add`; `followers` follow rows are spread
//! evenly over the servers, straight into the database while no server runs.
//! The first `shared_fraction` of the servers give all their followers one shared
//! inbox (`/inbox`, one POST per server); the others only have per-user inboxes
//! (`/users/uN/inbox`, one POST per follower). Then pkgfed starts, the bench
//! publishes one `Create{Note}` to the package's followers through
//! `pkgfed::store` (the worker notices the commit within a fraction of a second),
//! and waits until every expected inbox has its POST.
//!
//! By default pkgfed is one `pkgfed serve` on a SQLite file. With `--database-url
//! postgres://…` the bench creates a fresh database on that server (dropped at the
//! end unless `--keep`), lets `pkgfed packages add` migrate it, and starts
//! `--workers` × `pkgfed serve --role worker`, which share the deliveries through
//! `FOR UPDATE SKIP LOCKED`; it also measures PostgreSQL's CPU and reads how many
//! deliveries each worker made from its `/metrics`.
//!
//! Afterwards, still in the same run, it times as many RSA-2048 PKCS#1 v1.5
//! SHA-256 signatures as there were deliveries, alone on one thread, the floor of
//! the fan-out's cost.
//!
//! # Layout
//! - `inboxes`: the inbox servers' bookkeeping (expected, missing, duplicates).
//! - `processes`: starting the pkgfed processes and measuring CPU over a span.
//! - `report`: the printed figures and the one-line summary.

mod inboxes;
mod processes;
mod report;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;
use pkgfed_protocol::keys::RsaPrivateKey;

use crate::pg::{self, TempDatabase};
use crate::server::{Setup, free_port, pkgfed_bin};
use crate::{Common, db, inbox_server};
use inboxes::Inboxes;
use processes::{Fleet, FleetProbe};

/// `pkgfed-bench fanout`
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Loopback inbox servers (remote hosts), 1 to 10000. Each is one listening
    /// socket here, plus the connections pkgfed keeps to it: raise `ulimit -n`.
    #[arg(long, default_value_t = 2_000)]
    pub servers: usize,
    /// Followers of the package (1 to 200000), spread evenly over the servers.
    #[arg(long, default_value_t = 10_000)]
    pub followers: usize,
    /// Fraction of the servers whose followers share one inbox (0 to 1).
    #[arg(long, default_value_t = 0.5)]
    pub shared_fraction: f64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_seconds: u64,
    /// Keep the temporary directory (database, server logs) and print its path;
    /// on PostgreSQL also keep the run's database.
    #[arg(long)]
    pub keep: bool,
    /// Run on PostgreSQL: a database on the server to connect to
    /// (`postgres://user:password@127.0.0.1:5432/postgres`; the role needs
    /// CREATEDB). The bench creates a fresh database there for the run.
    #[arg(long)]
    pub database_url: Option<String>,
    /// `pkgfed serve --role worker` processes on PostgreSQL (1 to 16); without
    /// `--database-url` only 1 (one `pkgfed serve` on SQLite).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// Where the deliveries are counted after the run.
enum Queue {
    /// The SQLite file (a connection per count, as before).
    Sqlite(String),
    /// One PostgreSQL connection kept open.
    Postgres(pg::Counter),
}

impl Queue {
    async fn open_deliveries(&mut self) -> Result<i64> {
        match self {
            Queue::Sqlite(url) => db::open_deliveries(url).await,
            Queue::Postgres(c) => c.open_deliveries().await,
        }
    }

    async fn delivery_states(&mut self) -> Result<String> {
        match self {
            Queue::Sqlite(url) => db::delivery_states(url).await,
            Queue::Postgres(c) => c.delivery_states().await,
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Runs the benchmark.
pub async fn run(args: FanoutArgs) -> Result<()> {
    if !(1..=10_000).contains(&args.servers) {
        bail!("--servers must be 1 to 10000");
    }
    if !(1..=200_000).contains(&args.followers) {
        bail!("--followers must be 1 to 200000");
    }
    if !(0.0..=1.0).contains(&args.shared_fraction) {
        bail!("--shared-fraction must be 0 to 1");
    }
    if !(1..=16).contains(&args.workers) {
        bail!("--workers must be 1 to 16");
    }
    if args.workers > 1 && args.database_url.is_none() {
        bail!(
            "--workers {} needs --database-url postgres://…: on SQLite one `pkgfed serve` delivers",
            args.workers
        );
    }
    // Listeners + one connection per host from each pkgfed's pool (both ends count
    // for pkgfed, which inherits the limit) + slack.
    let need = (args.servers * (1 + args.workers) + 512) as u64;
    if let Some(limit) = inbox_server::open_files_limit()
        && limit < need
    {
        bail!("open files limit {limit} < {need}: run `ulimit -n {need}` first");
    }
    let load = report::load_average();
    let database = match &args.database_url {
        Some(url) => Some(TempDatabase::create(url, "pkgfed_fanout").await?),
        None => None,
    };
    let result = run_on(&args, database.as_ref(), &load).await;
    if let Some(db) = &database {
        if args.keep {
            println!("kept database {}", db.name);
        } else if let Err(e) = db.drop_now().await {
            eprintln!("{e:#}");
        }
    }
    result
}

async fn run_on(args: &FanoutArgs, database: Option<&TempDatabase>, load: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds.clamp(10, 3_600));
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut setup = Setup::new(bin, dir.path());
    if let Some(db) = database {
        setup.database_url = db.url.clone();
    }

    // Expected POSTs: (server, path) pairs.
    let s = args.servers;
    let shared_servers = ((s as f64) * args.shared_fraction).round() as usize;
    let expected = inboxes::expected(s, shared_servers, args.followers);
    let inboxes = Arc::new(Inboxes::new(expected.len()));
    let ports = inbox_server::start(s, &inboxes).await?;
    // Only now: a port picked before could be taken by an inbox server, which would
    // then answer the start-up probe in pkgfed's place.
    let port = free_port()?;

    // Seed: the package through the CLI (which migrates the database), the
    // followers straight into it.
    let handle = setup.add_package(port, "pkg:cargo/serde")?;
    let rows: Vec<db::FollowerRow> = (0..args.followers)
        .map(|i| {
            let srv = i % s;
            let host = format!("http://127.0.0.1:{}", ports[srv]);
            let actor = format!("{host}/users/u{i}");
            db::FollowerRow {
                inbox: format!("{actor}/inbox"),
                shared_inbox: (srv < shared_servers).then(|| format!("{host}/inbox")),
                follow_id: format!("{host}/follows/{i}"),
                actor_id: actor,
            }
        })
        .collect();
    let package_id = match database {
        Some(_) => pg::seed_followers(&setup.database_url, &handle, &rows).await?,
        None => db::seed_followers(&setup.database_url, &handle, &rows).await?,
    };
    drop(rows);
    println!(
        "{} inbox servers ({} with a shared inbox), {} followers of {handle}: {} deliveries expected",
        s,
        shared_servers,
        args.followers,
        expected.len()
    );

    let fleet = match database {
        Some(db) => {
            let fleet = Fleet::workers(&setup, port, args.workers)?;
            println!(
                "PostgreSQL database {} ({}); {} × `pkgfed serve --role worker`, pids {}",
                db.name,
                pkgfed::store::redacted_url(&db.url),
                args.workers,
                report::pids(&fleet)
            );
            fleet
        }
        None => Fleet::one(&setup, port)?,
    };
    let store = pkgfed::store::open(&setup.database_url)
        .await
        .context("cannot open the store")?;
    let mut queue = match database {
        Some(db) => Queue::Postgres(pg::Counter::open(&db.url).await?),
        None => Queue::Sqlite(setup.database_url.clone()),
    };
    let actor = format!("{}/packages/{handle}", fleet.base);
    let (outbound, audience) = db::create_to_followers(
        &actor,
        package_id,
        &format!("{actor}/posts/1"),
        "<p>serde 1.0.300 released: benchmark fan-out of one Create{Note}.</p>",
    );
    // Let the freshly started server settle (first poll, pool warm-up).
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let cpu = FleetProbe::start(&fleet, database.map(|d| d.name.as_str()))?;
    let t0 = Instant::now();
    let queued = store
        .publish(&outbound, &audience, now_ms())
        .await
        .context("publish failed")?;
    let publish_took = t0.elapsed();
    if queued.deliveries != expected.len() as u64 {
        bail!(
            "publish queued {} deliveries, expected {}",
            queued.deliveries,
            expected.len()
        );
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    let finished = tokio::time::timeout(remaining, inboxes.done.notified())
        .await
        .is_ok();
    let split = cpu.finish()?;
    let memory = fleet.memory()?;
    // Until every attempt is recorded (the worker records after the response).
    let open_left = loop {
        let open = queue.open_deliveries().await?;
        if open == 0 || Instant::now() > deadline {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let all_recorded = t0.elapsed();
    let split_recorded = cpu.finish()?;
    // A moment for late duplicates.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let states = queue.delivery_states().await?;
    let successes = fleet.successes();
    fleet.stop()?;

    let tally = inboxes.tally(&expected, t0);
    let n = expected.len();

    // Signing alone, same count, one thread, ~200-byte draft-cavage strings.
    let key = RsaPrivateKey::generate().context("key generation failed")?;
    let messages: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "(request-target): post /users/u{i}/inbox\nhost: 127.0.0.1:{}\ndate: Mon, 23 Nov 2026 12:00:00 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU={i:08}",
                ports[i % s]
            )
        })
        .collect();
    let t = Instant::now();
    for m in &messages {
        std::hint::black_box(key.sign_pkcs1_sha256(m.as_bytes())?);
    }
    let signing = t.elapsed();

    let figures = report::Figures {
        args,
        activity_bytes: outbound.activity.len(),
        deliveries: queued.deliveries,
        expected: n,
        publish_took,
        all_recorded,
        tally: &tally,
        split: &split,
        split_recorded: &split_recorded,
        memory: &memory,
        inboxes: &inboxes,
        states: &states,
        signing,
        successes: &successes,
        load,
    };
    report::print(&figures);
    if args.keep {
        println!("kept: {}", dir.keep().display());
    }
    if !finished || tally.missing > 0 || open_left > 0 {
        bail!(
            "fan-out incomplete: {} inboxes missing, {open_left} deliveries still open",
            tally.missing
        );
    }
    if inboxes.unsigned.load(Ordering::Relaxed) > 0 || inboxes.malformed.load(Ordering::Relaxed) > 0
    {
        bail!("some POSTs were unsigned or malformed");
    }
    if database.is_some() && tally.duplicates > 0 {
        bail!(
            "{} duplicate POSTs: the workers delivered some inboxes twice",
            tally.duplicates
        );
    }
    Ok(())
}
