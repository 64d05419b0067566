//! The RabbitMQ (AMQP 0-9-1) connection of cluster mode, configured by `[broker]`.
//!
//! ```text
//! events ── BrokerEvents (publisher.rs) ── offer ─▶ bounded buffer ────────┐
//!   (in-process subscribers get every event first)                         │
//! queued work ── WakeKind::for_event ─▶ PendingWakes (coalesced flags) ────┤
//!                                                                          ▼
//!                     connection task (session.rs), one per process:
//!                     topic exchange pkgfed.events  ◀── publish (persistent, confirmed)
//!                     queues pkgfed.work.deliveries / .registry ◀── wake (persistent)
//!                     consume the wake queues of the work this process runs
//!                        ──▶ Wakers: the delivery worker's / the watcher's Notify
//! ```
//!
//! The database stays the source of truth: events are notifications (dropped, and
//! counted, when the buffer is full or the broker is down) and a wake carries no work
//! (lost, the worker's poll and the database watch find the work a little later).
//! A lost connection is retried with capped, jittered back-off while pkgfed keeps
//! working from the database; [`status`] shows the state to `/readyz`, the admin API
//! and `/metrics`. The URL's credentials are never logged: logs and status use the
//! address (`scheme://host:port/vhost`).

mod backoff;
mod publisher;
mod session;
pub mod status;
pub mod wake;

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use crate::config::broker::BrokerSettings;
use crate::events::Event;

pub use publisher::BrokerEvents;
pub use status::{BrokerStatus, BrokerStatusView, DropReason};
pub use wake::{WakeKind, Wakers};

/// The topic exchange events are published to; the routing key is the event's name.
pub const EXCHANGE: &str = "pkgfed.events";

/// A process's broker: cheap to clone, shared by the publisher and the status views.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Shared>,
}

struct Shared {
    settings: BrokerSettings,
    status: BrokerStatus,
    /// The bounded event buffer: `offer` never waits on it.
    events: mpsc::Sender<Event>,
    /// Its receiving end, until the connection task takes it.
    queue: Mutex<Option<mpsc::Receiver<Event>>>,
    wakes: wake::PendingWakes,
}

impl Broker {
    /// A broker for `settings`, not yet connected ([`Broker::run`] connects).
    pub fn new(settings: BrokerSettings) -> Self {
        let (tx, rx) = mpsc::channel(settings.event_buffer);
        Self {
            inner: Arc::new(Shared {
                settings,
                status: BrokerStatus::default(),
                events: tx,
                queue: Mutex::new(Some(rx)),
                wakes: wake::PendingWakes::default(),
            }),
        }
    }

    /// Hands `event` to the connection task without waiting: a wake when it says
    /// work was queued, and the event itself unless the broker is down or the
    /// buffer is full (then it is counted as dropped).
    pub fn offer(&self, event: Event) {
        if let Some(kind) = WakeKind::for_event(&event) {
            self.inner.wakes.set(kind);
        }
        if !self.inner.status.connected() {
            self.inner.status.dropped(DropReason::Disconnected, 1);
            return;
        }
        match self.inner.events.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.inner.status.dropped(DropReason::BufferFull, 1);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.inner.status.dropped(DropReason::Disconnected, 1);
            }
        }
    }

    /// Publishes a wake of `kind` to the other processes (for work queued without an
    /// event, such as an operator's re-check), coalesced like every wake.
    pub fn wake(&self, kind: WakeKind) {
        self.inner.wakes.set(kind);
    }

    /// The connection state and counters.
    pub fn status(&self) -> &BrokerStatus {
        &self.inner.status
    }

    /// `scheme://host:port/vhost`: where, without credentials.
    pub fn address(&self) -> &str {
        &self.inner.settings.address
    }

    /// The state as the admin API shows it.
    pub fn view(&self) -> BrokerStatusView {
        self.inner.status.view(&self.inner.settings.address)
    }

    /// Connects, publishes and consumes until `shutdown` turns true, reconnecting
    /// with back-off whenever the connection fails. `wakers` says which wake queues
    /// this process consumes. Runs once per broker (a second call returns at once).
    pub async fn run(self, wakers: Wakers, mut shutdown: watch::Receiver<bool>) {
        let taken = self.inner.queue.lock().ok().and_then(|mut q| q.take());
        let Some(mut queue) = taken else {
            tracing::warn!("the broker connection task is already running");
            return;
        };
        let address = self.address().to_owned();
        let mut backoff = backoff::Backoff::new(self.inner.settings.reconnect_max);
        loop {
            if *shutdown.borrow() {
                break;
            }
            let outcome = session::Session::open(&self.inner.settings, &wakers).await;
            let error = match outcome {
                Ok(session) => {
                    backoff.reset();
                    self.inner.status.set_connected(now_ms());
                    tracing::info!(broker = %address, "connected to the broker");
                    match session
                        .run(&self.inner, &wakers, &mut queue, &mut shutdown)
                        .await
                    {
                        Ok(()) => break,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            let error = self.scrub(&error.to_string());
            self.inner.status.set_disconnected(now_ms(), error.clone());
            // What was buffered when the connection failed is stale by the time it
            // comes back: count it rather than publish it late.
            let mut stale = 0;
            while queue.try_recv().is_ok() {
                stale += 1;
            }
            self.inner.status.dropped(DropReason::Disconnected, stale);
            let wait = backoff.next_wait();
            tracing::warn!(broker = %address, %error, retry_in_ms = wait.as_millis() as u64,
                "broker unavailable; working from the database, reconnecting");
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = shutdown.changed() => if changed.is_err() {
                    break;
                },
            }
        }
        self.inner
            .status
            .set_disconnected(now_ms(), "shut down".into());
    }

    /// `text` without the URL or its password (errors may quote either).
    fn scrub(&self, text: &str) -> String {
        let s = &self.inner.settings;
        let mut out = text.replace(&s.url, &s.address);
        if let Ok(uri) = s.url.parse::<lapin::uri::AMQPUri>() {
            let password = &uri.authority.userinfo.password;
            if !password.is_empty() {
                out = out.replace(password.as_str(), "<redacted>");
            }
        }
        out
    }
}

/// Wall-clock Unix milliseconds (the broker's state is about the real world, not
/// the application's clock, which is manual in tests).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
