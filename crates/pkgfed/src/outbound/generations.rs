//! Noticing what another process on the database changed: the generation counters
//! of [`crate::store::cluster`]. A rotated key drops the cached signing keys; a
//! changed domain block list is re-read.
//!
//! The delivery worker syncs right after every claim that returned work (see
//! [`sync`] for why that order is exact); every process also syncs every
//! [`INTERVAL`], so a web process refuses a newly blocked domain's activities soon
//! after another process blocked it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::Outbound;
use crate::store::cluster::Generations;

/// How often a process looks at the generations besides its claims.
pub const INTERVAL: Duration = Duration::from_secs(2);

/// The generations as this process last saw them. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct SeenGenerations(Arc<Mutex<Option<Generations>>>);

/// Reads the generations and drops what changed since the last read. Called by the
/// delivery worker *after* a claim: a key rotation bumps the generation before it
/// queues the `Update`, so a claim that returns the `Update` is followed by a read
/// that sees the bump, and nothing claimed after a rotation is signed with the old
/// key.
pub async fn sync(state: &Outbound) {
    let now = match state.store.generations().await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the database's generations");
            return;
        }
    };
    let before = match state.seen.0.lock() {
        Ok(mut seen) => seen.replace(now),
        Err(_) => return,
    };
    // The first read finds nothing cached from before it.
    let Some(before) = before else {
        return;
    };
    if before.signing_keys != now.signing_keys {
        tracing::info!("a signing key was rotated: cached keys dropped");
        state.keys.forget_all();
    }
    if before.domain_blocks != now.domain_blocks {
        match state.domains.reload().await {
            Ok(()) => tracing::info!("the domain blocks changed: re-read"),
            Err(e) => tracing::warn!(error = %e, "cannot re-read the domain blocks"),
        }
    }
}

/// Syncs every [`INTERVAL`] until `stop` turns true.
pub async fn run(state: Outbound, mut stop: watch::Receiver<bool>) {
    loop {
        sync(&state).await;
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
