//! The inbox servers' bookkeeping: which (server, path) pairs must get a POST, what
//! each got, and afterwards what was missing, duplicated or unexpected and when the
//! inboxes were reached.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::inbox_server::{Answer, Observer, Post};

/// The (server index, path) pairs that must each get one POST: one `/inbox` per
/// server among the first `shared_servers` that has a follower, one
/// `/users/u{i}/inbox` per follower `i` on the other servers (follower `i` lives on
/// server `i % servers`).
pub fn expected(servers: usize, shared_servers: usize, followers: usize) -> Vec<(u32, String)> {
    let mut expected: Vec<(u32, String)> = Vec::new();
    for srv in 0..servers.min(followers) {
        if srv < shared_servers {
            expected.push((srv as u32, "/inbox".to_owned()));
        }
    }
    for i in 0..followers {
        let srv = i % servers;
        if srv >= shared_servers {
            expected.push((srv as u32, format!("/users/u{i}/inbox")));
        }
    }
    expected
}

/// What the inbox servers saw.
pub struct Inboxes {
    /// POSTs per (server index, path).
    counts: Mutex<HashMap<(u32, String), u32>>,
    /// Distinct (server, path) pairs that got at least one POST.
    distinct: AtomicU64,
    /// Every POST.
    pub posts: AtomicU64,
    /// POSTs without a `Signature` header naming rsa-sha256.
    pub unsigned: AtomicU64,
    /// Requests that were not POSTs or could not be parsed.
    pub malformed: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// First and last POST.
    span: Mutex<Option<(Instant, Instant)>>,
    /// When each expected inbox got its first POST.
    arrivals: Mutex<Vec<Instant>>,
    /// Distinct pairs expected.
    expected: u64,
    /// Signalled when `distinct` reaches `expected`.
    pub done: Notify,
}

impl Inboxes {
    /// Bookkeeping for `expected` distinct pairs.
    pub fn new(expected: usize) -> Self {
        Self {
            counts: Mutex::default(),
            distinct: AtomicU64::new(0),
            posts: AtomicU64::new(0),
            unsigned: AtomicU64::new(0),
            malformed: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            span: Mutex::default(),
            arrivals: Mutex::default(),
            expected: expected as u64,
            done: Notify::new(),
        }
    }

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

    /// Compares what arrived with `expected`; times are since `t0` (the publish).
    pub fn tally(&self, expected: &[(u32, String)], t0: Instant) -> Tally {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let missing = expected.iter().filter(|k| !counts.contains_key(*k)).count();
        let duplicates: u64 = counts
            .values()
            .map(|&n| u64::from(n.saturating_sub(1)))
            .sum();
        let expected_set: HashSet<&(u32, String)> = expected.iter().collect();
        let unexpected = counts.keys().filter(|k| !expected_set.contains(k)).count();
        let span = *self.span.lock().unwrap_or_else(|e| e.into_inner());
        let (first, last) = span
            .map(|(a, b)| (a.duration_since(t0), b.duration_since(t0)))
            .unwrap_or_default();
        let mut arrivals: Vec<Duration> = self
            .arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|a| a.duration_since(t0))
            .collect();
        arrivals.sort();
        Tally {
            missing,
            duplicates,
            unexpected,
            first,
            last,
            arrivals,
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

/// What arrived against what was expected.
pub struct Tally {
    /// Expected pairs that got no POST.
    pub missing: usize,
    /// POSTs beyond the first per pair.
    pub duplicates: u64,
    /// Pairs that got a POST but were not expected.
    pub unexpected: usize,
    /// Publish → first POST.
    pub first: Duration,
    /// Publish → last POST.
    pub last: Duration,
    /// Publish → each expected pair's first POST, sorted.
    arrivals: Vec<Duration>,
}

impl Tally {
    /// The time by which the fraction `p` of the inboxes were reached.
    pub fn pct(&self, p: f64) -> Duration {
        self.arrivals
            .get(((self.arrivals.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    }
}
