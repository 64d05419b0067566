//! The delivery worker: claims due deliveries from the durable queue and runs them
//! within a global and a per-host concurrency limit.
//!
//! Claims carry a lease; a process that dies mid-delivery leaves its claims to
//! expire (and on start, the embedded server returns every claim at once; a
//! cluster worker only the expired ones), so nothing is lost and only in-flight
//! deliveries may be sent twice.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

mod deliver;

use super::Outbound;
use super::error::Result;
use super::recorder::Finished;
use crate::store::delivery::{ChangeWatch, ClaimLimits, ClaimedDelivery, HostPolicy};

/// Longest wait between looks at the queue. Work queued in this process wakes the
/// worker at once; work queued by another process on the same database (a CLI
/// command) cannot, so an idle worker still looks every second — and, when the
/// store can tell cheaply, sooner: see [`WATCH_INTERVAL`].
const MAX_IDLE_MS: i64 = 1_000;

/// How often an idle worker asks the store whether another connection committed
/// (SQLite: `PRAGMA data_version`, microseconds). A commit ends the wait, so work
/// queued by another process starts within this interval instead of the idle poll.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);

/// Expired claims are looked for at most this often.
const RELEASE_INTERVAL: Duration = Duration::from_secs(1);

/// Longest wait for a batch of free permits before claiming fewer (see `run`).
const BATCH_WAIT: Duration = Duration::from_millis(20);

/// Runs deliveries.
#[derive(Clone)]
pub struct Deliverer {
    state: Outbound,
    /// Global concurrency: one permit per delivery in flight.
    permits: Arc<Semaphore>,
    /// Held from recording a permanent failure until its remediation ran, so the
    /// repeat rules count exactly: two concurrent 401s must not both count 4 and
    /// so skip the recommendation made at exactly 3.
    remediation: Arc<tokio::sync::Mutex<()>>,
    /// The recorder task's queue, started on first use (see [`record_loop`]).
    recorder: Arc<OnceLock<mpsc::UnboundedSender<Finished>>>,
    /// Whether this is the only worker of its database (see [`Deliverer::shared`]).
    sole: bool,
}

impl Deliverer {
    /// A worker on `state` (an [`Outbound`], or what holds one).
    pub fn new(state: impl Into<Outbound>) -> Self {
        let state = state.into();
        let permits = Arc::new(Semaphore::new(state.settings.delivery.concurrency as usize));
        Self {
            state,
            permits,
            remediation: Arc::default(),
            recorder: Arc::default(),
            sole: true,
        }
    }

    /// One of several workers on one database (`serve --role worker`): at start,
    /// only expired claims are returned to the queue, the others being live
    /// workers'. The default, the only worker of its database (`--role all`),
    /// resumes every claim it finds at once: they are a previous run's.
    pub fn shared(mut self) -> Self {
        self.sole = false;
        self
    }

    fn policy(&self) -> HostPolicy {
        let d = &self.state.settings.delivery;
        HostPolicy {
            failure_threshold: d.circuit_failure_threshold,
            base_cooldown_ms: (d.circuit_cooldown_seconds * 1000) as i64,
            max_cooldown_ms: (d.circuit_max_cooldown_seconds * 1000) as i64,
            unavailable_after_ms: (d.unavailable_after_days * 24 * 3600 * 1000) as i64,
        }
    }

    fn lease_ms(&self) -> i64 {
        // Two full request timeouts (double-knocking) plus a margin.
        (self.state.settings.fetch.timeout.as_millis() as i64) * 2 + 30_000
    }

    /// Claims and runs every delivery due now, waiting for them; repeats until none
    /// is due. Returns how many attempts ran. Tests drive the queue with this and a
    /// manual clock.
    pub async fn run_due(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let claimed = self.claim(self.state.settings.delivery.concurrency).await?;
            if claimed.is_empty() {
                return Ok(total);
            }
            total += claimed.len();
            let mut set = JoinSet::new();
            for d in claimed {
                let me = self.clone();
                set.spawn(async move { me.deliver(d).await });
            }
            while set.join_next().await.is_some() {}
        }
    }

    async fn claim(&self, limit: u32) -> Result<Vec<ClaimedDelivery>> {
        let claimed = self
            .state
            .store
            .claim_due(ClaimLimits {
                now_ms: self.state.clock.now_ms(),
                lease_ms: self.lease_ms(),
                limit,
                per_host: self.state.settings.delivery.per_host_concurrency,
            })
            .await?;
        if !claimed.is_empty() {
            super::generations::sync(&self.state).await;
        }
        Ok(claimed)
    }

    /// Runs the queue until `shutdown` turns true. Returns the claims left by a
    /// previous run first: all of them when this is the only worker of its
    /// database, else the expired ones (see [`Deliverer::shared`]).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let before = if self.sole {
            i64::MAX
        } else {
            self.state.clock.now_ms()
        };
        match self.state.store.release_expired_claims(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "resuming deliveries left in flight by the previous run"),
            Err(e) => tracing::error!(error = %e, "cannot release old claims"),
        }
        let wake: Arc<Notify> = self.state.wake.clone();
        let mut changes = match self.state.store.change_watch().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the database for other processes' deliveries; polling every second");
                None
            }
        };
        let mut released_at: Option<tokio::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let free = self.permits.available_permits() as u32;
            // Claim in batches. Each claim is a write transaction (now ~0.1 ms: it
            // walks the due order through an index; it used to rank every due
            // delivery, milliseconds with thousands queued), and claiming one
            // delivery per completion made a large fan-out quadratic and starved
            // the attempts' own bookkeeping of the lock. With few permits free, wait
            // (briefly, so slow hosts holding most permits cannot idle the rest)
            // for more completions, then claim whatever is free.
            let min_batch = (self.state.settings.delivery.concurrency / 4).max(1);
            let free = if free < min_batch {
                let permits = &self.permits;
                let _ = tokio::time::timeout(BATCH_WAIT, async {
                    while (permits.available_permits() as u32) < min_batch {
                        wake.notified().await;
                    }
                })
                .await;
                self.permits.available_permits() as u32
            } else {
                free
            };
            let claimed = if free > 0 {
                match self.claim(free).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot claim deliveries");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let idle = claimed.is_empty();
            for d in claimed {
                let Ok(permit) = self.permits.clone().acquire_owned().await else {
                    return;
                };
                let me = self.clone();
                let wake = wake.clone();
                tokio::spawn(async move {
                    me.deliver(d).await;
                    drop(permit);
                    wake.notify_one();
                });
            }
            if !idle {
                continue;
            }
            // A claim whose attempt could not be recorded (e.g. the database was
            // unavailable) would otherwise stay in flight until the next start.
            // (At most once a second: leases last a minute or more, and the UPDATE
            // takes the write lock even when it returns nothing.)
            if released_at.is_none_or(|t| t.elapsed() >= RELEASE_INTERVAL) {
                released_at = Some(tokio::time::Instant::now());
                match self
                    .state
                    .store
                    .release_expired_claims(self.state.clock.now_ms())
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(n, "returned deliveries whose claim expired to the queue")
                    }
                    Err(e) => tracing::error!(error = %e, "cannot release expired claims"),
                }
            }
            let sleep = self.sleep_for().await;
            wait_idle(sleep, &wake, &mut shutdown, &mut changes).await;
        }
        // Let in-flight deliveries finish (bounded by two request timeouts: a double
        // knock sends twice); their claims would otherwise be resumed by the next
        // start.
        let all = self.state.settings.delivery.concurrency;
        let _ = tokio::time::timeout(
            self.state.settings.fetch.timeout * 2,
            self.permits.acquire_many(all),
        )
        .await;
    }

    async fn sleep_for(&self) -> Duration {
        let now = self.state.clock.now_ms();
        let next = self.state.store.next_due_at().await.ok().flatten();
        let ms = match next {
            Some(t) if t > now => (t - now).min(MAX_IDLE_MS),
            // Due but not claimable (a host at its limit: a completion wakes the
            // worker sooner), or nothing queued.
            _ => MAX_IDLE_MS,
        };
        Duration::from_millis(ms.max(10) as u64)
    }
}

/// Waits up to `sleep`, until this process wakes the worker, shutdown, or — asked
/// every [`WATCH_INTERVAL`] — another connection committed (e.g. a CLI command
/// queued deliveries). The question is never cancelled half-way (it runs between
/// the sleeps, not in the `select!`), so the watch connection stays usable.
async fn wait_idle(
    sleep: Duration,
    wake: &Notify,
    shutdown: &mut watch::Receiver<bool>,
    changes: &mut Option<Box<dyn ChangeWatch>>,
) {
    let deadline = tokio::time::Instant::now() + sleep;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return;
        }
        let step = if changes.is_some() {
            left.min(WATCH_INTERVAL)
        } else {
            left
        };
        tokio::select! {
            () = wake.notified() => return,
            () = tokio::time::sleep(step) => {}
            _ = shutdown.changed() => return,
        }
        if let Some(watch) = changes {
            match watch.changed().await {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the database for other processes' deliveries; polling every second");
                    *changes = None;
                }
            }
        }
    }
}
