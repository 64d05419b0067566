//! Support for the broker tests: the RabbitMQ they run against
//! (`PKGFED_TEST_AMQP_URL`; `.ci/run` starts one), an AMQP client of the test's own
//! to watch what pkgfed publishes, the broker status as the admin API shows it, and
//! `rabbitmqctl` to take the broker away and bring it back.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, QueueBindOptions, QueueDeclareOptions,
    QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use serde_json::Value;
use tokio::sync::{Mutex, MutexGuard};

use crate::common::TestServer;

/// The tests share one broker (and the outage tests stop it): one at a time, within
/// this test binary and across binaries (`cargo test` runs several binaries at once
/// under some runners, and the chaos test restarts the broker too).
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A file every broker test locks for its whole run, across processes.
const LOCK_FILE: &str = "pkgfed-test-broker.lock";

/// Held for a broker test's whole run: the in-process lock and the file lock.
pub struct BrokerTurn {
    _local: MutexGuard<'static, ()>,
    _file: std::fs::File,
}

/// The broker to test against, and the turn that keeps the other broker tests out.
/// Without `PKGFED_TEST_AMQP_URL`, CI fails and a local run skips (loudly).
pub async fn broker() -> Option<(String, BrokerTurn)> {
    match std::env::var("PKGFED_TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => {
            let local = ONE_AT_A_TIME.lock().await;
            let path = std::env::temp_dir().join(LOCK_FILE);
            let file = tokio::task::spawn_blocking(move || {
                let file = std::fs::File::create(&path)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
                file.lock()
                    .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
                file
            })
            .await
            .unwrap();
            Some((
                url,
                BrokerTurn {
                    _local: local,
                    _file: file,
                },
            ))
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "PKGFED_TEST_AMQP_URL is not set: the broker tests need a RabbitMQ; \
             .ci/run installs and starts one (amqp://guest:guest@127.0.0.1:5672/%2f)"
        ),
        _ => {
            eprintln!(
                "SKIPPED: PKGFED_TEST_AMQP_URL is not set, so this broker test did not run \
                 (start RabbitMQ as .ci/run does and export the variable)"
            );
            None
        }
    }
}

/// A pkgfed with `[broker]` on `url`, reconnecting within a second.
pub async fn server_on(url: &str, tweak: impl FnOnce(&mut pkgfed::config::Config)) -> TestServer {
    let url = url.to_owned();
    TestServer::start_with(move |c| {
        c.broker.url = url;
        c.broker.reconnect_max_seconds = 1;
        tweak(c);
    })
    .await
}

/// The test's own AMQP client.
pub struct Client {
    _conn: Connection,
    pub channel: Channel,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        let conn = Connection::connect(url, ConnectionProperties::default())
            .await
            .unwrap();
        let channel = conn.create_channel().await.unwrap();
        Self {
            _conn: conn,
            channel,
        }
    }

    /// Empties the wake queues (declared as pkgfed declares them), so a wake left
    /// by an earlier run cannot pass for one of this test's.
    pub async fn purge_wakes(&self) {
        let mut args = FieldTable::default();
        args.insert("x-max-length".into(), AMQPValue::LongInt(1000));
        for q in ["pkgfed.work.deliveries", "pkgfed.work.registry"] {
            self.channel
                .queue_declare(q.into(), QueueDeclareOptions::durable(), args.clone())
                .await
                .unwrap();
            self.channel
                .queue_purge(q.into(), QueuePurgeOptions::default())
                .await
                .unwrap();
        }
    }

    /// A private queue bound to `pkgfed.events` for every routing key.
    pub async fn watch_events(&self) -> Consumer {
        let q = self
            .channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        self.channel
            .queue_bind(
                q.name().clone(),
                "pkgfed.events".into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        self.channel
            .basic_consume(
                q.name().clone(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap()
    }

    /// Publishes a wake the way any AMQP client can (docs/events.md).
    pub async fn publish_wake(&self, kind: &str) {
        self.channel
            .basic_publish(
                "".into(),
                format!("pkgfed.work.{kind}").as_str().into(),
                BasicPublishOptions::default(),
                kind.as_bytes(),
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .unwrap();
    }
}

/// A message from `pkgfed.events`.
#[derive(Debug)]
pub struct Published {
    pub routing_key: String,
    pub delivery_mode: Option<u8>,
    pub content_type: Option<String>,
    pub kind: Option<String>,
    pub body: Value,
}

/// The first message on `events` that `pred` accepts (others are skipped); panics
/// naming `what` after 10 s.
pub async fn next_event(
    events: &mut Consumer,
    what: &str,
    pred: impl Fn(&Published) -> bool,
) -> Published {
    let wait = async {
        while let Some(d) = events.next().await {
            let d = d.unwrap();
            let p = Published {
                routing_key: d.routing_key.as_str().to_owned(),
                delivery_mode: *d.properties.delivery_mode(),
                content_type: d.properties.content_type().as_ref().map(|s| s.to_string()),
                kind: d.properties.kind().as_ref().map(|s| s.to_string()),
                body: serde_json::from_slice(&d.data).unwrap(),
            };
            if pred(&p) {
                return p;
            }
        }
        panic!("the event queue closed before {what}");
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {what} was published to pkgfed.events"))
}

/// `GET /api/v1/admin/broker`.
pub async fn status(server: &TestServer) -> Value {
    let res = server
        .client
        .get(server.url("/api/v1/admin/broker"))
        .bearer_auth(&server.state.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// `GET /readyz`: status and body.
pub async fn readyz(server: &TestServer) -> (u16, String) {
    let res = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Waits until the server's broker is `connected` (or not); panics after 20 s.
pub async fn wait_connected(server: &TestServer, connected: bool) -> Value {
    wait_status(server, &format!("connected={connected}"), |s| {
        s["connected"] == connected
    })
    .await
}

/// Waits until the broker status satisfies `pred` and returns it; panics naming
/// `what` after 20 s.
pub async fn wait_status(server: &TestServer, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let s = status(server).await;
        if pred(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the broker status never showed {what}: {}",
        status(server).await
    );
}

/// `v` as a count (0 when absent).
pub fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// `rabbitmqctl args…` on the local node.
pub fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run rabbitmqctl (needed to stop the broker): {e}"));
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Stops the broker's AMQP application; starts it again when dropped, whatever the
/// test's outcome (the other tests need it).
pub struct Outage;

impl Outage {
    pub fn begin() -> Self {
        rabbitmqctl(&["stop_app"]);
        Outage
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        // No assertion here: this may run while a failed test unwinds.
        for args in [["start_app"], ["await_startup"]] {
            let ok = std::process::Command::new("rabbitmqctl")
                .args(args)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!("rabbitmqctl {args:?} failed: start the broker again by hand");
            }
        }
    }
}
