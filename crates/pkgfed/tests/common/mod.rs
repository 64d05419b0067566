//! Test harness: the real pkgfed server on a loopback port with a fresh SQLite file,
//! and a follower peer (its own key, actor and inbox) on another loopback port;
//! [`fleet`]: many loopback inboxes with scripted answers; [`manual`]: a server whose
//! delivery queue runs on a manual clock, driven by the test; [`cluster`]: `serve --role
//! web|worker` processes on one database behind a loopback balancer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod browser;
pub mod cluster;
pub mod db;
pub mod fleet;
pub mod manual;
pub mod peer;
pub mod process;
pub mod watch;
pub mod web;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pkgfed::app::AppState;
use pkgfed::config::Config;
use pkgfed::store::{Counts, Package, PackageMeta};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[allow(unused_imports)]
pub use peer::Peer;

/// A running pkgfed.
pub struct TestServer {
    pub base: String,
    pub host: String,
    pub state: AppState,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Options for a test server.
pub fn test_config(port: u16, db: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.server.listen = format!("127.0.0.1:{port}");
    c.server.base_url = format!("http://127.0.0.1:{port}");
    c.server.allow_http = true;
    c.federation.allow_private_addresses = true;
    c.federation.request_timeout_seconds = 5;
    c.storage.database_url = format!("sqlite://{}", db.display());
    c
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::boot(tweak, None).await
    }

    /// With `clock`, the delivery queue runs on it and no worker is started (the
    /// test drives deliveries); without, the real server with its worker.
    async fn boot(
        tweak: impl FnOnce(&mut Config),
        clock: Option<Arc<dyn pkgfed::clock::Clock>>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::boot_in(dir, listener, tweak, clock).await
    }

    /// Stops this server (waiting until it has shut down) and starts a new one on the
    /// same database, port and base URL: a process restart.
    pub async fn restart(mut self, tweak: impl FnOnce(&mut Config)) -> Self {
        let port: u16 = self.host.rsplit_once(':').unwrap().1.parse().unwrap();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap());
        drop(self);
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        Self::boot_in(dir, listener, tweak, None).await
    }

    async fn boot_in(
        dir: tempfile::TempDir,
        listener: TcpListener,
        tweak: impl FnOnce(&mut Config),
        clock: Option<Arc<dyn pkgfed::clock::Clock>>,
    ) -> Self {
        let port = listener.local_addr().unwrap().port();
        let mut config = test_config(port, &dir.path().join("pkgfed.db"));
        tweak(&mut config);
        let settings = config.validate().unwrap();
        let manual = clock.is_some();
        let state = match clock {
            Some(clock) => AppState::build_with_clock(settings, clock).await.unwrap(),
            None => AppState::build(settings).await.unwrap(),
        };
        let (tx, rx) = oneshot::channel::<()>();
        let s = state.clone();
        let task = tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            let grace = Duration::from_secs(5);
            if manual {
                pkgfed::web::serve(listener, s, grace, stop).await.unwrap();
            } else {
                pkgfed::server::run(listener, s, grace, stop).await.unwrap();
            }
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            host: format!("127.0.0.1:{port}"),
            state,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _dir: dir,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a package actor through the same code path as the CLI.
    pub async fn add_package(&self, purl: &str) -> Package {
        self.add_package_with(purl, PackageMeta::default()).await
    }

    pub async fn add_package_with(&self, purl: &str, meta: PackageMeta) -> Package {
        pkgfed::packages::add(
            &self.state.store,
            &self.state.settings.ecosystems,
            purl,
            meta,
        )
        .await
        .unwrap()
    }

    pub async fn counts(&self) -> Counts {
        self.state.store.counts().await.unwrap()
    }

    /// GET with an Accept header; returns status, content type and body.
    pub async fn get(&self, path: &str, accept: &str) -> (u16, String, String) {
        let res = self
            .client
            .get(self.url(path))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, ct, res.text().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, _, body) = self.get(path, "application/activity+json").await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Waits until `cond` holds, polling; panics with `what` after 10 s.
pub async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// One RSA key for all peers of a test binary (generation is slow-ish).
pub fn shared_rsa() -> &'static pkgfed_protocol::keys::RsaPrivateKey {
    static KEY: OnceLock<pkgfed_protocol::keys::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| pkgfed_protocol::keys::RsaPrivateKey::generate().unwrap())
}
