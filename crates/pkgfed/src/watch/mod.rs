//! Registry watching: every package somebody follows is checked on its registry, and
//! each new release becomes a post to its followers, exactly once.
//!
//! - [`crate::registries`] (beside it): one adapter and rate limiter per configured
//!   registry, shared with the first-lookup creation of package actors.
//! - [`run`] (here): tracking follows followers (a package with a follower is watched,
//!   one without is not), and one loop per registry checks due packages, reading the
//!   registry's change feed first where it has one.
//! - [`check`]: one check of one package; [`diff`]: what changed, as actions;
//!   [`schedule`]: when to check next. The posts themselves are composed and
//!   published by [`crate::posts`].
//! - [`advisories`]: the advisory sources (OSV API and directories) and which
//!   followed packages they name.
//! - [`health`]: the per-registry health view (admin API, CLI, metrics) and the
//!   stalled-registry warning.

pub mod advisories;
pub mod check;
pub mod diff;
pub mod error;
pub mod health;

pub mod schedule;

use std::sync::Arc;
use std::time::Duration;

use pkgfed_registries::Ecosystem;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::WatchSettings;
use crate::config::advisories::AdvisorySettings;
use crate::events::{Event, EventPublisher};
use crate::federation::urls::Urls;
use crate::outbound::Outbound;
use crate::shutdown::Shutdown;
use crate::store::SharedStore;
use crate::store::watch::WatchRow;

/// What the watcher uses. Cheap to clone.
#[derive(Clone)]
pub struct Watcher {
    /// Watch state, releases, posts and advisories.
    pub store: SharedStore,
    /// The URL scheme (actor and Note ids).
    pub urls: Urls,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where watcher events go.
    pub events: Arc<dyn EventPublisher>,
    /// The configured registries.
    pub registries: Registries,
    /// Where posts go out (through `crate::posts::publishing`).
    pub outbound: Outbound,
    /// Wakes the tracking reconciliation (a follower was added).
    pub watch_wake: Arc<Notify>,
    /// Wakes the registry loops (packages became due).
    pub registry_wake: Arc<Notify>,
    /// Stops the watcher when a shutdown is requested.
    pub shutdown: Shutdown,
    /// When this process started (Unix ms, on `clock`): a registry is not stalled
    /// before it had the time to check.
    pub started_at_ms: i64,
    /// This process's name in the database's leases (see [`crate::store::cluster`]).
    pub holder: Arc<str>,
    /// The settings the watcher reads.
    pub settings: Arc<WatcherSettings>,
}

/// The settings of the watcher.
#[derive(Clone, Debug)]
pub struct WatcherSettings {
    /// `[watch]`.
    pub watch: WatchSettings,
    /// `[advisories]`.
    pub advisories: AdvisorySettings,
    /// Enabled ecosystems.
    pub ecosystems: Vec<Ecosystem>,
    /// `Application` or `Service` (the actor `Update` after a metadata change).
    pub actor_type: &'static str,
}

impl AsRef<Outbound> for Watcher {
    fn as_ref(&self) -> &Outbound {
        &self.outbound
    }
}

pub use crate::registries::{Registries, Registry};
pub use error::{Result, WatchError};

/// Checks claimed from the store per loop turn.
const BATCH: u32 = 32;
/// Longest sleep of an idle registry loop (tracking changes also wake it).
const MAX_IDLE: Duration = Duration::from_secs(30);
/// How long a claimed batch of checks stays this worker's: a batch of [`BATCH`]
/// checks at the registry's rate limit takes well under it. A worker that dies
/// leaves its claimed packages to other workers when it runs out, a delay of minutes
/// for checks scheduled minutes to hours apart.
const CHECK_LEASE: Duration = Duration::from_secs(600);

/// Whether `ecosystem`'s registry reads a change feed.
pub fn feed_mode(state: &Watcher, ecosystem: Ecosystem) -> bool {
    state.registries.get(ecosystem).is_some_and(|r| r.feed)
}

/// Runs the watcher until shutdown: tracking reconciliation plus one loop per
/// registry. `sole`: this is the only process of its database (`serve --role
/// all`), so every lease and check claim found at start is a previous run's and
/// ends now; a cluster worker leaves the others' to run out.
pub async fn run(state: Watcher, sole: bool) {
    if !state.settings.watch.enabled {
        tracing::info!("registry watching is off (watch.enabled = false)");
        return;
    }
    if sole && let Err(e) = state.store.release_all_leases().await {
        tracing::warn!(error = %e, "could not end the previous run's registry claims");
    }
    for (eco, key) in &state.settings.watch.unconfigured {
        tracing::warn!(ecosystem = %eco, key, "no registry endpoint configured: {eco} packages are served but not watched (set {key})");
    }
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(advisories::run(state.clone()));
    for (eco, _) in state.registries.all() {
        let state = state.clone();
        tasks.spawn(async move { registry_loop(state, eco).await });
    }
    let mut shutdown = state.shutdown.on_request();
    loop {
        reconcile(&state).await;
        tokio::select! {
            () = state.watch_wake.notified() => {}
            () = tokio::time::sleep(MAX_IDLE) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
    // The loops see the shutdown themselves and give back their claims and leases
    // (another worker takes over at once); one stuck in a registry request is
    // cancelled after a moment, its claims then run out.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.shutdown().await;
}

/// Starts and stops watching as packages gain their first or lose their last
/// follower.
pub async fn reconcile(state: &Watcher) {
    let interval = state.settings.watch.interval.as_millis() as i64;
    let changes = match state
        .store
        .reconcile_tracking(interval, state.clock.now_ms())
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "could not update which packages are watched");
            return;
        }
    };
    for (ids, tracked) in [(&changes.tracked, true), (&changes.untracked, false)] {
        for id in ids {
            let Ok(Some(p)) = state.store.package_by_id(*id).await else {
                continue;
            };
            let package = state.urls.actor(&p.handle);
            tracing::info!(purl = %p.purl, tracked, "package watching changed");
            state.events.publish(if tracked {
                Event::PackageTracked { package }
            } else {
                Event::PackageUntracked { package }
            });
        }
    }
    if !changes.tracked.is_empty() {
        state.registry_wake.notify_waiters();
    }
}

async fn registry_loop(state: Watcher, ecosystem: Ecosystem) {
    let Some(registry) = state.registries.get(ecosystem).cloned() else {
        return;
    };
    let mut shutdown = state.shutdown.on_request();
    let mut stall = health::StallWatch::default();
    loop {
        if *shutdown.borrow() {
            release_feed(&state, ecosystem, &registry).await;
            return;
        }
        if registry.feed {
            read_feed(&state, ecosystem, &registry).await;
        }
        let now = state.clock.now_ms();
        let due: Vec<WatchRow> = state
            .store
            .claim_due_watches(ecosystem, now, BATCH, CHECK_LEASE.as_millis() as i64)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(%ecosystem, error = %e, "could not claim due packages");
                Vec::new()
            });
        for (i, w) in due.iter().enumerate() {
            if *shutdown.borrow() {
                // Another worker (or the next start) checks the rest now.
                let rest: Vec<i64> = due[i..].iter().map(|w| w.package_id).collect();
                if let Err(e) = state.store.unclaim_watches(&rest).await {
                    tracing::warn!(%ecosystem, error = %e, "could not return claimed packages");
                }
                release_feed(&state, ecosystem, &registry).await;
                return;
            }
            match check::check_package(&state, registry.adapter.as_ref(), w).await {
                Ok(r) if !r.announced.is_empty() || !r.withdrawn.is_empty() => {
                    tracing::info!(%ecosystem, package_id = w.package_id, announced = ?r.announced, withdrawn = ?r.withdrawn, "releases changed");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(%ecosystem, package_id = w.package_id, error = %e, "check failed")
                }
            }
        }
        stall.observe(&state, ecosystem).await;
        if due.len() as u32 == BATCH {
            continue;
        }
        let next = state.store.next_due(ecosystem).await.ok().flatten();
        let mut wait = next.map_or(MAX_IDLE, |at| {
            Duration::from_millis(
                (at - state.clock.now_ms()).clamp(0, MAX_IDLE.as_millis() as i64) as u64,
            )
        });
        if registry.feed {
            wait = wait.min(registry.feed_interval);
        }
        tokio::select! {
            () = tokio::time::sleep(wait.max(Duration::from_millis(5))) => {}
            () = state.registry_wake.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// The lease of `ecosystem`'s change-feed reads: one worker reads the feed.
fn feed_lease(ecosystem: Ecosystem) -> String {
    format!("feed:{ecosystem}")
}

/// Gives up the feed lease on shutdown, so another worker reads the feed at once.
async fn release_feed(state: &Watcher, ecosystem: Ecosystem, registry: &Registry) {
    if registry.feed {
        let _ = state
            .store
            .release_lease(&feed_lease(ecosystem), &state.holder)
            .await;
    }
}

/// Reads the change feed when due and makes the tracked packages it names due now.
/// Of several workers, the one holding the feed lease reads it; the lease outlives
/// three feed intervals, so another worker takes over when the reader dies.
async fn read_feed(state: &Watcher, ecosystem: Ecosystem, registry: &Registry) {
    let now = state.clock.now_ms();
    let ttl = registry.feed_interval.as_millis() as i64 * 3 + 30_000;
    match state
        .store
        .try_lease(&feed_lease(ecosystem), &state.holder, now, ttl)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(%ecosystem, error = %e, "could not take the change-feed lease");
            return;
        }
    }
    let Ok(rs) = state.store.registry_state(ecosystem).await else {
        return;
    };
    if rs
        .last_feed_at
        .is_some_and(|at| now - at < registry.feed_interval.as_millis() as i64)
    {
        return;
    }
    let Some(result) = registry.adapter.changes(rs.feed_cursor.as_deref()).await else {
        return;
    };
    match result {
        Ok(batch) => {
            let keys: Vec<String> = batch
                .packages
                .iter()
                .filter_map(|n| pkgfed_registries::PackageId::new(ecosystem, n).ok())
                .map(|id| id.key())
                .collect();
            let marked = if batch.gap {
                // The feed cannot vouch for everything since the cursor: check all.
                state.store.mark_all_due(ecosystem, now).await.unwrap_or(0)
            } else {
                state
                    .store
                    .mark_due(ecosystem, &keys, now)
                    .await
                    .unwrap_or(0)
            };
            tracing::debug!(%ecosystem, mentioned = keys.len(), marked, gap = batch.gap, "change feed read");
            if let Err(e) = state
                .store
                .set_feed_cursor(ecosystem, batch.cursor.as_deref(), now)
                .await
            {
                tracing::warn!(%ecosystem, error = %e, "could not store the change-feed cursor");
            }
        }
        Err(e) => {
            tracing::warn!(%ecosystem, error = %e, "change feed read failed; packages are still polled");
            let _ = state.store.set_feed_cursor(ecosystem, None, now).await;
        }
    }
}
