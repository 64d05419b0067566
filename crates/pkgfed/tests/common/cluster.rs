//! A pkgfed cluster of real processes on one PostgreSQL database: `serve --role
//! web|worker` members, and the loopback TCP balancer in front of the web members
//! that is the cluster's public `base_url` (round robin; a member that refuses the
//! connection is skipped for the next one, as a real balancer's retry does).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::fleet::Fleet;
use super::process::{Running, free_listen, pkgfed_command, raw_get};

/// The admin token every member shares.
pub const TOKEN: &str = "cluster-test-admin-token-0123456789abcdefghij";

/// Round-robin TCP forwarding to the web members.
pub struct Balancer {
    /// `127.0.0.1:port`, the cluster's public address.
    pub listen: String,
    /// Connections forwarded, by backend address.
    served: Arc<Mutex<HashMap<String, usize>>>,
}

impl Balancer {
    /// Listens now (so the members can be started with its address), forwarding to
    /// `backends` (which may not be up yet).
    pub async fn start(backends: Vec<String>) -> Self {
        Self::slow(backends, Duration::ZERO).await
    }

    /// As [`Balancer::start`], holding what each client sends for `delay` before
    /// forwarding it, so every request on a connection is slow (a slow server).
    pub async fn slow(backends: Vec<String>, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listen = listener.local_addr().unwrap().to_string();
        let served: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let next = Arc::new(AtomicUsize::new(0));
        let counts = served.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let first = next.fetch_add(1, Ordering::Relaxed);
                let backends = backends.clone();
                let counts = counts.clone();
                tokio::spawn(async move {
                    for i in 0..backends.len() {
                        let backend = &backends[(first + i) % backends.len()];
                        let Ok(upstream) = TcpStream::connect(backend).await else {
                            continue;
                        };
                        *counts.lock().unwrap().entry(backend.clone()).or_default() += 1;
                        forward(client, upstream, delay).await;
                        return;
                    }
                });
            }
        });
        Self { listen, served }
    }

    /// `http://127.0.0.1:port`
    pub fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// How many connections `backend` was given.
    pub fn served(&self, backend: &str) -> usize {
        self.served
            .lock()
            .unwrap()
            .get(backend)
            .copied()
            .unwrap_or(0)
    }
}

async fn forward(mut client: TcpStream, mut upstream: TcpStream, delay: Duration) {
    if delay.is_zero() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_upstream, mut to_upstream) = upstream.into_split();
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
    });
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = from_client.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tokio::time::sleep(delay).await;
        if to_upstream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to_upstream.shutdown().await;
    let _ = answers.await;
}

/// What every member of one cluster shares.
pub struct Cluster {
    pub dir: PathBuf,
    pub base: String,
    pub database_url: String,
    /// `PKGFED_*` settings every member gets.
    pub env: Vec<(String, String)>,
}

/// A started member.
pub struct Member {
    pub process: Running,
    pub listen: String,
    pub log: PathBuf,
}

impl Member {
    /// SIGKILL, waited for.
    pub fn kill(&mut self) {
        self.process.signal("-KILL");
        self.process.wait_exit("a SIGKILLed member");
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET /readyz`: status and body (`no answer: …` when nothing answers).
    pub async fn readyz(&self) -> String {
        match reqwest::get(format!("http://{}/readyz", self.listen)).await {
            Ok(r) => format!("{} {}", r.status().as_u16(), r.text().await.unwrap()),
            Err(e) => format!("no answer: {e}"),
        }
    }
}

impl Cluster {
    /// `pkgfed args…` (not `serve`) on the cluster's database, e.g. `packages add`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = pkgfed_command(&self.dir, "127.0.0.1:9", args);
        cmd.env("PKGFED_STORAGE_DATABASE_URL", &self.database_url);
        cmd
    }

    /// `pkgfed packages add <purl>`, which must succeed.
    pub fn add_package(&self, purl: &str) {
        let out = self.command(&["packages", "add", purl]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "packages add {purl}: {err}");
    }

    /// Starts `serve --dev --role <role>` on `listen` (a fresh port when `None`)
    /// and waits until it answers `/healthz`; its log is `<name>.log`.
    pub fn start(&self, role: &str, name: &str, listen: Option<String>) -> Member {
        let listen = listen.unwrap_or_else(free_listen);
        let mut cmd = pkgfed_command(&self.dir, &listen, &["serve", "--dev", "--role", role]);
        cmd.env("PKGFED_SERVER_BASE_URL", &self.base)
            .env("PKGFED_STORAGE_DATABASE_URL", &self.database_url)
            .env("PKGFED_ADMIN_TOKEN", TOKEN)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = self.dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut process = Running(cmd.stdout(Stdio::null()).stderr(file).spawn().unwrap());
        let started = Instant::now();
        while !raw_get(&listen, "/healthz", "").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            let exited = process.0.try_wait().unwrap();
            assert!(
                exited.is_none() && started.elapsed() < Duration::from_secs(60),
                "{name} ({role} on {listen}) did not start ({exited:?}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Member {
            process,
            listen,
            log,
        }
    }
}

/// Polls `cond` every 50 ms; panics naming `what` after `limit`.
pub async fn until<F, Fut>(what: &str, limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !cond().await {
        assert!(
            started.elapsed() < limit,
            "gave up after {} s waiting for {what}",
            limit.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The POSTs of activities of type `kind` per inbox URL: how many, and the activity
/// ids among them (each POST checked to be signed by its sender).
pub fn per_inbox(fleet: &Fleet, kind: &str) -> BTreeMap<String, (usize, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for r in fleet.received() {
        if r.json()["type"] != kind {
            continue;
        }
        assert!(r.verified.is_ok(), "unverified {kind}: {:?}", r.verified);
        let e = out
            .entry(format!("http://{}{}", r.host, r.path))
            .or_default();
        e.0 += 1;
        e.1.insert(r.id());
    }
    out
}
