//! `fanout`: one activity delivered to many followers on many hosts.
//!
//! `servers` loopback inbox servers run in this process (minimal HTTP/1.1 on
//! 127.0.0.1:0, keep-alive, answering 202 and counting POSTs per path; a POST
//! without a `Signature` header naming `rsa-sha256` is counted as unsigned). One
//! package is added with `pkgfed packages add`; `followers` follow rows are spread
//! evenly over the servers, straight into the SQLite file while no server runs.
//! The first `shared_fraction` of the servers give all their followers one shared
//! inbox (`/inbox`, one POST per server); the others only have per-user inboxes
//! (`/users/uN/inbox`, one POST per follower). Then `pkgfed serve` starts, the bench
//! publishes one `Create{Note}` to the package's followers through
//! `pkgfed::store` (the worker polls the database at least once a second), and waits
//! until every expected inbox has its POST.
//!
//! Afterwards, still in the same run, it times as many RSA-2048 PKCS#1 v1.5
//! SHA-256 signatures as there were deliveries, alone on one thread, the floor of
//! the fan-out's cost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;
use pkgfed_protocol::keys::RsaPrivateKey;
use tokio::sync::Notify;

use crate::inbox_server::{self, Answer, Observer, Post};
use crate::server::{CpuProbe, Setup, free_port, pkgfed_bin};
use crate::{Common, db};

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
    /// Keep the temporary directory (database, server log) and print its path.
    #[arg(long)]
    pub keep: bool,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// What the inbox servers saw.
struct Inboxes {
    /// POSTs per (server index, path).
    counts: Mutex<HashMap<(u32, String), u32>>,
    /// Distinct (server, path) pairs that got at least one POST.
    distinct: AtomicU64,
    /// Every POST.
    posts: AtomicU64,
    /// POSTs without a `Signature` header naming rsa-sha256.
    unsigned: AtomicU64,
    /// Requests that were not POSTs or could not be parsed.
    malformed: AtomicU64,
    /// Connections accepted.
    connections: AtomicU64,
    /// First and last POST.
    span: Mutex<Option<(Instant, Instant)>>,
    /// When each expected inbox got its first POST.
    arrivals: Mutex<Vec<Instant>>,
    /// Distinct pairs expected.
    expected: u64,
    /// Signalled when `distinct` reaches `expected`.
    done: Notify,
}

impl Inboxes {
    fn record(&self, server: u32, path: String, signed: bool) {
        let now = Instant::now();
        self.posts.fetch_add(1, Ordering::Relaxed);
        if !signed {
            self.unsigned.fetch_add(1, Ordering::Relaxed);
        }
        let first = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let n = counts.entry((server, path)).or_default();
            *n += 1;
            *n == 1
        };
        {
            let mut span = self.span.lock().unwrap_or_else(|e| e.into_inner());
            *span = Some(match *span {
                Some((a, _)) => (a, now),
                None => (now, now),
            });
        }
        if first {
            self.arrivals
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(now);
        }
        if first && self.distinct.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            self.done.notify_one();
        }
    }
}

impl Observer for Inboxes {
    fn post(&self, post: Post<'_>) -> Answer {
        self.record(post.server, post.path.to_owned(), post.signed);
        Answer::Accepted
    }

    fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    fn malformed(&self) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
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
    // Listeners + one connection per host from pkgfed's pool (both ends count for
    // the server, which inherits the limit) + slack.
    let need = (args.servers * 2 + 512) as u64;
    if let Some(limit) = inbox_server::open_files_limit()
        && limit < need
    {
        bail!("open files limit {limit} < {need}: run `ulimit -n {need}` first");
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds.clamp(10, 3_600));
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let setup = Setup::new(bin, dir.path());

    // Expected POSTs: (server, path) pairs.
    let s = args.servers;
    let shared_servers = ((s as f64) * args.shared_fraction).round() as usize;
    let mut expected: Vec<(u32, String)> = Vec::new();
    for srv in 0..s.min(args.followers) {
        if srv < shared_servers {
            expected.push((srv as u32, "/inbox".to_owned()));
        }
    }
    for i in 0..args.followers {
        let srv = i % s;
        if srv >= shared_servers {
            expected.push((srv as u32, format!("/users/u{i}/inbox")));
        }
    }
    let inboxes = Arc::new(Inboxes {
        counts: Mutex::default(),
        distinct: AtomicU64::new(0),
        posts: AtomicU64::new(0),
        unsigned: AtomicU64::new(0),
        malformed: AtomicU64::new(0),
        connections: AtomicU64::new(0),
        span: Mutex::default(),
        arrivals: Mutex::default(),
        expected: expected.len() as u64,
        done: Notify::new(),
    });
    let ports = inbox_server::start(s, &inboxes).await?;
    // Only now: a port picked before could be taken by an inbox server, which would
    // then answer the start-up probe in pkgfed's place.
    let port = free_port()?;

    // Seed: the package through the CLI, the followers straight into the file.
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
    let package_id = db::seed_followers(&setup.database_url, &handle, &rows).await?;
    drop(rows);
    println!(
        "{} inbox servers ({} with a shared inbox), {} followers of {handle}: {} deliveries expected",
        s,
        shared_servers,
        args.followers,
        expected.len()
    );

    let server = setup.start(port, "fanout")?;
    let store = pkgfed::store::open(&setup.database_url)
        .await
        .context("cannot open the store")?;
    let actor = format!("{}/packages/{handle}", server.base());
    let (outbound, audience) = db::create_to_followers(
        &actor,
        package_id,
        &format!("{actor}/posts/1"),
        "<p>serde 1.0.300 released: benchmark fan-out of one Create{Note}.</p>",
    );
    // Let the freshly started server settle (first poll, pool warm-up).
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    let cpu = CpuProbe::start(&server)?;
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
    let memory = match server.memory() {
        Ok(m) => m,
        Err(e) => bail!(
            "{e:#} (has pkgfed exited?); its log:\n{}",
            server.log_tail()
        ),
    };
    // Until every attempt is recorded (the worker records after the response).
    let open_left = loop {
        let open = db::open_deliveries(&setup.database_url).await?;
        if open == 0 || Instant::now() > deadline {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let all_recorded = t0.elapsed();
    let split_recorded = cpu.finish()?;
    // A moment for late duplicates.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let states = db::delivery_states(&setup.database_url).await?;
    server.stop()?;

    let counts = inboxes
        .counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let missing = expected.iter().filter(|k| !counts.contains_key(*k)).count();
    let duplicates: u64 = counts
        .values()
        .map(|&n| u64::from(n.saturating_sub(1)))
        .sum();
    let expected_set: std::collections::HashSet<&(u32, String)> = expected.iter().collect();
    let unexpected = counts.keys().filter(|k| !expected_set.contains(k)).count();
    let span = *inboxes.span.lock().unwrap_or_else(|e| e.into_inner());
    let (first, last) = span
        .map(|(a, b)| (a.duration_since(t0), b.duration_since(t0)))
        .unwrap_or_default();
    let n = expected.len();
    let mut arrivals: Vec<Duration> = inboxes
        .arrivals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|a| a.duration_since(t0))
        .collect();
    arrivals.sort();
    let pct = |p: f64| -> Duration {
        arrivals
            .get(((arrivals.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };

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
    let per_sig = signing / n as u32;

    let sign_cpu = per_sig * queued.deliveries as u32;
    println!(
        "\nfan-out of one Create{{Note}} ({} bytes)",
        outbound.activity.len()
    );
    println!("{:<48} {}", "deliveries queued", queued.deliveries);
    println!(
        "{:<48} {}",
        "publish (enqueue transaction)",
        secs(publish_took)
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
        secs(pct(0.5)),
        secs(pct(0.9)),
        secs(pct(0.99)),
        secs(pct(0.999)),
        secs(pct(1.0))
    );
    println!(
        "{:<48} {}",
        "publish → all attempts recorded",
        secs(all_recorded)
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
        secs(split.server),
        split.server.as_secs_f64() * 1e6 / n as f64,
        secs(split_recorded.server)
    );
    println!(
        "{:<48} client {}  others {}",
        "other CPU over the same span",
        secs(split.client),
        secs(split.others)
    );
    println!(
        "{:<48} VmRSS {:.1} MiB  VmHWM {:.1} MiB",
        "server memory after",
        memory.rss_kib as f64 / 1024.0,
        memory.hwm_kib as f64 / 1024.0
    );
    println!(
        "{:<48} posts {}  missing {}  duplicates {}  unexpected paths {}  unsigned {}  malformed {}  connections {}",
        "inbox servers",
        inboxes.posts.load(Ordering::Relaxed),
        missing,
        duplicates,
        unexpected,
        inboxes.unsigned.load(Ordering::Relaxed),
        inboxes.malformed.load(Ordering::Relaxed),
        inboxes.connections.load(Ordering::Relaxed)
    );
    println!("{:<48} {states}", "delivery states after");
    println!(
        "{:<48} {} ({:.1} µs/signature)",
        "signing alone, same count, 1 thread",
        secs(signing),
        per_sig.as_secs_f64() * 1e6
    );
    println!(
        "{:<48} {:.2}×",
        "ratio total / signing alone",
        last.as_secs_f64() / signing.as_secs_f64()
    );
    println!(
        "{:<48} signing ≈ {} ({:.0} %), the rest {}",
        "server CPU split (estimate)",
        secs(sign_cpu),
        100.0 * sign_cpu.as_secs_f64() / split.server.as_secs_f64().max(1e-9),
        secs(split.server.saturating_sub(sign_cpu))
    );
    if args.keep {
        println!("kept: {}", dir.keep().display());
    }
    if !finished || missing > 0 || open_left > 0 {
        bail!("fan-out incomplete: {missing} inboxes missing, {open_left} deliveries still open");
    }
    if inboxes.unsigned.load(Ordering::Relaxed) > 0 || inboxes.malformed.load(Ordering::Relaxed) > 0
    {
        bail!("some POSTs were unsigned or malformed");
    }
    Ok(())
}
