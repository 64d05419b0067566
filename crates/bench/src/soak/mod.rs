//! `soak`: minutes of mixed traffic against one `pkgfed serve`, sampled every minute.
//!
//! - **Inbox**: signed POSTs (alternately `Like` and `Create{Note}` addressed to the
//!   package) at a fixed rate — by default half the recorded inbox capacity — from a
//!   pool of activities signed before the run. The pool is used in order and then
//!   again: replays are verified like new ones and answered 202 as duplicates (the
//!   path of a remote server retrying), so after the first pass the inbox does no
//!   inserts. Signing fresh activities during the run would need more cores than the
//!   machine has.
//! - **GETs**: WebFinger, actor document and HTML package page in turn, at a fixed
//!   rate.
//! - **Deliveries**: the package has `followers` followers on `servers` loopback inbox
//!   servers (half with a shared inbox); one server in eight answers 503 to everything,
//!   one in eight never answers (pkgfed's request timeout ends each attempt), one in
//!   eight answers 503 to every other POST; the rest 202. A `Create{Note}` is published
//!   to the followers every `publish_every_seconds` through `pkgfed::store`.
//!
//! Each minute one row: inbox and GET requests with their p50/p99 and anything not
//! 202/200, the server's RSS and peak, open file descriptors, CPU, the delivery queue
//! (open rows and states), and the machine's load average (the machine may be
//! shared; the row says so).

mod sampler;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;
use pkgfed_protocol::keys::RsaPrivateKey;

use crate::inbox::{self, Kind};
use crate::inbox_server::{self, Answer, Observer, Post};
use crate::load::{self, Req};
use crate::peer::Peer;
use crate::server::{Setup, free_port, pkgfed_bin};
use crate::{Common, db};
use sampler::{Window, Windows};

/// `pkgfed-bench soak`
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Minutes to run (1 to 120).
    #[arg(long, default_value_t = 30)]
    pub minutes: u64,
    /// Inbox POSTs per second (default: half of the 5,338/s recorded in
    /// docs/benchmarks.md).
    #[arg(long, default_value_t = 2_669.0)]
    pub inbox_rate: f64,
    /// GETs per second (WebFinger, actor, page in turn).
    #[arg(long, default_value_t = 300.0)]
    pub get_rate: f64,
    /// Distinct signed activities in the pool (1,000 to 200,000).
    #[arg(long, default_value_t = 60_000)]
    pub pool: usize,
    /// Followers of the package.
    #[arg(long, default_value_t = 2_000)]
    pub followers: usize,
    /// Loopback inbox servers they are on.
    #[arg(long, default_value_t = 40)]
    pub servers: usize,
    /// Seconds between two published posts.
    #[arg(long, default_value_t = 30)]
    pub publish_every_seconds: u64,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// How inbox server `i` answers (see the module docs).
fn behaviour(server: u32, nth_post: u64) -> Answer {
    match server % 8 {
        0 => Answer::Unavailable,
        1 => Answer::Hang,
        2 if nth_post.is_multiple_of(2) => Answer::Unavailable,
        _ => Answer::Accepted,
    }
}

/// Counts what the fleet answered.
#[derive(Default)]
struct Fleet {
    posts: AtomicU64,
    answers: Mutex<HashMap<&'static str, u64>>,
    unsigned: AtomicU64,
}

impl Observer for Fleet {
    fn post(&self, post: Post<'_>) -> Answer {
        let n = self.posts.fetch_add(1, Ordering::Relaxed);
        if !post.signed {
            self.unsigned.fetch_add(1, Ordering::Relaxed);
        }
        let answer = behaviour(post.server, n);
        let name = match answer {
            Answer::Accepted => "202",
            Answer::Unavailable => "503",
            Answer::Hang => "hang",
        };
        *self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name)
            .or_default() += 1;
        answer
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Sends `make(i)` for i = 0, 1, … at `rate` per second over `connections`
/// keep-alive connections until `until`, recording into `windows` under `label`.
fn paced<F>(
    addr: std::net::SocketAddr,
    rate: f64,
    connections: usize,
    until: Instant,
    windows: Arc<Windows>,
    label: &'static str,
    make: Arc<F>,
) -> Vec<tokio::task::JoinHandle<()>>
where
    F: Fn(usize) -> Req + Send + Sync + 'static,
{
    let per_conn = Duration::from_secs_f64(connections as f64 / rate.max(0.001));
    (0..connections)
        .map(|c| {
            let (windows, make) = (windows.clone(), make.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(per_conn);
                // Behind schedule (a slow server): the rate drops, no catch-up burst.
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut sender = None;
                let mut i = c;
                while Instant::now() < until {
                    tick.tick().await;
                    let t0 = Instant::now();
                    let result = load::send_one(addr, &mut sender, make(i)).await;
                    windows.record(label, t0.elapsed(), result);
                    i += connections;
                }
            })
        })
        .collect()
}

/// Runs the soak.
pub async fn run(args: SoakArgs) -> Result<()> {
    if !(1..=120).contains(&args.minutes) {
        bail!("--minutes must be 1 to 120");
    }
    if !(1_000..=200_000).contains(&args.pool) {
        bail!("--pool must be 1000 to 200000");
    }
    if !(1..=1_000).contains(&args.servers) || args.followers < args.servers {
        bail!("--servers must be 1 to 1000 and --followers at least --servers");
    }
    let need = (args.servers * 4 + 512) as u64;
    if let Some(limit) = inbox_server::open_files_limit()
        && limit < need
    {
        bail!("open files limit {limit} < {need}: run `ulimit -n {need}` first");
    }
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let setup = Setup::new(bin, dir.path());

    let fleet = Arc::new(Fleet::default());
    let ports = inbox_server::start(args.servers, &fleet).await?;
    let port = free_port()?;
    let handle = setup.add_package(port, "pkg:cargo/serde")?;
    let rows: Vec<db::FollowerRow> = (0..args.followers)
        .map(|i| {
            let srv = i % args.servers;
            let host = format!("http://127.0.0.1:{}", ports[srv]);
            let actor = format!("{host}/users/u{i}");
            db::FollowerRow {
                inbox: format!("{actor}/inbox"),
                shared_inbox: srv.is_multiple_of(2).then(|| format!("{host}/inbox")),
                follow_id: format!("{host}/follows/{i}"),
                actor_id: actor,
            }
        })
        .collect();
    let package_id = db::seed_followers(&setup.database_url, &handle, &rows).await?;
    drop(rows);

    let package_actor = format!("http://127.0.0.1:{port}/packages/{handle}");
    let key = RsaPrivateKey::generate().context("cannot generate the peer key")?;
    let peer = Peer::start(&key.public_key_pem()).await?;
    let inbox_url: url::Url = format!("http://127.0.0.1:{port}/inbox").parse()?;
    let t = Instant::now();
    let signed = {
        let (peer, package_actor) = (&peer, &package_actor);
        let body_of = move |i: usize| {
            let kind = if i.is_multiple_of(2) {
                Kind::Like
            } else {
                Kind::Create
            };
            serde_json::to_vec(&inbox::activity(kind, peer, package_actor, i)).unwrap_or_default()
        };
        tokio::task::block_in_place(|| {
            inbox::presign(args.pool, &key, &peer.key_id(), &inbox_url, &body_of)
        })?
    };
    println!(
        "signed a pool of {} activities in {:.1} s; {} followers on {} inbox servers \
         (1 in 8 answers 503, 1 in 8 hangs, 1 in 8 fails every other POST)",
        args.pool,
        t.elapsed().as_secs_f64(),
        args.followers,
        args.servers
    );

    let server = setup.start(port, "soak")?;
    let host = server.host();
    println!(
        "pkgfed pid {} on {}; {} min at {} inbox POST/s and {} GET/s, a post every {} s",
        server.pid(),
        server.base(),
        args.minutes,
        args.inbox_rate,
        args.get_rate,
        args.publish_every_seconds
    );
    let store = pkgfed::store::open(&setup.database_url)
        .await
        .context("cannot open the store")?;

    let started = Instant::now();
    let until = started + Duration::from_secs(args.minutes * 60);
    let windows = Arc::new(Windows::default());
    let signed = Arc::new(signed);
    let mut tasks = paced(
        server.addr,
        args.inbox_rate,
        32,
        until,
        windows.clone(),
        "inbox",
        Arc::new({
            let signed = signed.clone();
            move |i: usize| inbox::request(&signed[i % signed.len()])
        }),
    );
    let targets = [
        (
            format!("/.well-known/webfinger?resource=acct:{handle}@{host}"),
            "application/jrd+json",
        ),
        (format!("/packages/{handle}"), "application/activity+json"),
        (format!("/packages/{handle}"), "text/html"),
    ];
    tasks.extend(paced(
        server.addr,
        args.get_rate,
        4,
        until,
        windows.clone(),
        "get",
        Arc::new(move |i: usize| {
            let (path, accept) = &targets[i % targets.len()];
            load::get(&host, path, accept)
        }),
    ));
    let publisher = {
        let (store, actor, every) = (
            store.clone(),
            format!("{}/packages/{handle}", server.base()),
            Duration::from_secs(args.publish_every_seconds.max(1)),
        );
        tokio::spawn(async move {
            let mut n = 0u64;
            let mut tick = tokio::time::interval(every);
            while Instant::now() < until {
                tick.tick().await;
                n += 1;
                let (outbound, audience) = db::create_to_followers(
                    &actor,
                    package_id,
                    &format!("{actor}/posts/soak-{n}"),
                    &format!("<p>serde 1.0.{n} released (soak)</p>"),
                );
                if let Err(e) = store.publish(&outbound, &audience, now_ms()).await {
                    eprintln!("publish {n} failed: {e}");
                }
            }
            n
        })
    };

    let mut rows: Vec<Window> = Vec::new();
    sampler::print_header();
    let mut cpu_before = server.cpu()?;
    for minute in 1..=args.minutes {
        let at = started + Duration::from_secs(minute * 60);
        tokio::time::sleep_until(at.into()).await;
        let cpu = server.cpu()?;
        let w = sampler::sample(
            minute,
            &windows,
            &server,
            cpu.saturating_sub(cpu_before),
            &setup.database_url,
            fleet.posts.load(Ordering::Relaxed),
        )
        .await?;
        cpu_before = cpu;
        w.print();
        rows.push(w);
    }
    for t in tasks {
        let _ = t.await;
    }
    let published = publisher.await.unwrap_or(0);
    let answers = fleet
        .answers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    println!();
    println!(
        "published {published} posts; the fleet saw {} POSTs ({answers:?}), {} unsigned; \
         the peer's actor document was fetched {} time(s)",
        fleet.posts.load(Ordering::Relaxed),
        fleet.unsigned.load(Ordering::Relaxed),
        peer.fetches()
    );
    sampler::summary(&rows);
    let warnings = server.warnings();
    server.stop()?;
    if !warnings.is_empty() {
        println!(
            "server warnings ({}), first: {}",
            warnings.len(),
            warnings[0]
        );
    }
    Ok(())
}
