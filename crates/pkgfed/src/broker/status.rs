//! What this process knows about its broker connection: connected or not, since
//! when, the last error, and the counters behind the metrics. Read by `/readyz`, the
//! admin API (`GET /api/v1/admin/broker`) and `/metrics`; written by the connection
//! task and the publisher.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use serde::Serialize;

use super::wake::WakeKind;

/// Why an event was not published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The bounded buffer was full (the broker is slower than events come).
    BufferFull,
    /// The broker was not connected.
    Disconnected,
    /// The broker refused it (a negative publisher confirm).
    Nacked,
    /// The connection failed while it was being published.
    PublishFailed,
}

impl DropReason {
    /// Every reason.
    pub const ALL: [DropReason; 4] = [
        DropReason::BufferFull,
        DropReason::Disconnected,
        DropReason::Nacked,
        DropReason::PublishFailed,
    ];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::BufferFull => "buffer_full",
            DropReason::Disconnected => "disconnected",
            DropReason::Nacked => "nacked",
            DropReason::PublishFailed => "publish_failed",
        }
    }
}

/// The shared state (atomics: read on every request path without locking).
#[derive(Default)]
pub struct BrokerStatus {
    connected: AtomicBool,
    /// Unix ms of the last change of `connected` (0: never connected).
    since_ms: AtomicI64,
    last_error: Mutex<Option<String>>,
    published: AtomicU64,
    dropped: [AtomicU64; 4],
    wakes_sent: [AtomicU64; 2],
    wakes_received: [AtomicU64; 2],
    connections: AtomicU64,
}

/// A snapshot, as the admin API shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct BrokerStatusView {
    /// Where (no credentials).
    pub address: String,
    /// Whether the connection is up and the topology declared.
    pub connected: bool,
    /// Since when (Unix ms) it is connected or disconnected; null before the first
    /// attempt finished.
    pub since_ms: Option<i64>,
    /// The last connection or publishing error (credentials removed).
    pub last_error: Option<String>,
    /// Successful connections since start (more than 1: it reconnected).
    pub connections: u64,
    /// Events confirmed by the broker.
    pub events_published: u64,
    /// Events not published, by reason.
    pub events_dropped: std::collections::BTreeMap<&'static str, u64>,
    /// Wake messages confirmed by the broker, by kind.
    pub wakes_sent: std::collections::BTreeMap<&'static str, u64>,
    /// Wake messages received from the broker, by kind.
    pub wakes_received: std::collections::BTreeMap<&'static str, u64>,
}

impl BrokerStatus {
    /// Whether the broker is connected now.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Records a connection (topology declared).
    pub fn set_connected(&self, now_ms: i64) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.since_ms.store(now_ms, Ordering::Relaxed);
        self.connected.store(true, Ordering::Release);
    }

    /// Records a failed attempt or a lost connection, with its (scrubbed) error.
    pub fn set_disconnected(&self, now_ms: i64, error: String) {
        if self.connected.swap(false, Ordering::AcqRel)
            || self.since_ms.load(Ordering::Relaxed) == 0
        {
            self.since_ms.store(now_ms, Ordering::Relaxed);
        }
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some(error);
        }
    }

    /// Counts a published event.
    pub fn published(&self) {
        self.published.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` dropped events.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        self.dropped[reason as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a wake sent.
    pub fn wake_sent(&self, kind: WakeKind) {
        self.wakes_sent[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a wake received.
    pub fn wake_received(&self, kind: WakeKind) {
        self.wakes_received[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The current state.
    pub fn view(&self, address: &str) -> BrokerStatusView {
        let by_kind = |a: &[AtomicU64; 2]| {
            WakeKind::ALL
                .into_iter()
                .map(|k| (k.as_str(), a[k as usize].load(Ordering::Relaxed)))
                .collect()
        };
        let since = self.since_ms.load(Ordering::Relaxed);
        BrokerStatusView {
            address: address.to_owned(),
            connected: self.connected(),
            since_ms: (since != 0).then_some(since),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
            connections: self.connections.load(Ordering::Relaxed),
            events_published: self.published.load(Ordering::Relaxed),
            events_dropped: DropReason::ALL
                .into_iter()
                .map(|r| (r.as_str(), self.dropped[r as usize].load(Ordering::Relaxed)))
                .collect(),
            wakes_sent: by_kind(&self.wakes_sent),
            wakes_received: by_kind(&self.wakes_received),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnection_keeps_the_last_error_and_counts() {
        let s = BrokerStatus::default();
        s.set_disconnected(10, "connection refused".into());
        let v = s.view("amqp://127.0.0.1:5672/%2f");
        assert!(!v.connected);
        assert_eq!(v.since_ms, Some(10));
        s.set_connected(20);
        s.dropped(DropReason::Disconnected, 3);
        let v = s.view("a");
        assert!(v.connected);
        assert_eq!(v.since_ms, Some(20));
        assert_eq!(v.connections, 1);
        assert_eq!(v.last_error.as_deref(), Some("connection refused"));
        assert_eq!(v.events_dropped["disconnected"], 3);
        assert_eq!(v.events_dropped["buffer_full"], 0);
    }
}
