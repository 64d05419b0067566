//! The recorder: finished delivery attempts are written in batches, one transaction
//! each, and every attempt waits for its batch's commit before its claim counts as
//! done (see `docs/delivery.md`). Split from `worker.rs`, which hands attempts over
//! in `Deliverer::record`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::Outbound;
use super::error::{OutboundError, Result};
use crate::store::StoreError;
use crate::store::delivery::{
    AttemptOutcome, AttemptRecord, ClaimedDelivery, HostEffect, HostPolicy, Recorded,
};

/// Extra tries to record a batch of attempts when the database is busy.
pub(super) const RECORD_RETRIES: u32 = 3;

/// Most attempts recorded in one transaction.
pub(super) const MAX_RECORD_BATCH: usize = 256;

/// A finished attempt on its way to the recorder.
pub(super) struct Finished {
    pub(super) delivery: Arc<ClaimedDelivery>,
    pub(super) outcome: AttemptOutcome,
    pub(super) effect: HostEffect,
    pub(super) scheme: Option<&'static str>,
    pub(super) now_ms: i64,
    /// The outcome is durably recorded (or could not be).
    pub(super) done: oneshot::Sender<Result<Recorded>>,
}

/// Records finished attempts: everything queued when it looks, up to
/// [`MAX_RECORD_BATCH`], in one transaction (one commit, a fixed number of
/// statements), then tells each attempt. While a batch is being written the next
/// one queues up, so under load batches grow by themselves and no attempt waits
/// for a timer; alone, an attempt is recorded at once. Ends when every
/// [`Deliverer`] clone (the senders) is gone.
pub(super) async fn record_loop(
    state: Outbound,
    policy: HostPolicy,
    mut queue: mpsc::UnboundedReceiver<Finished>,
) {
    let mut batch = Vec::with_capacity(MAX_RECORD_BATCH);
    while queue.recv_many(&mut batch, MAX_RECORD_BATCH).await > 0 {
        let results = record_batch(&state, &policy, &batch).await;
        let mut results = results.into_iter();
        for f in batch.drain(..) {
            let r = results
                .next()
                .unwrap_or_else(|| Err(OutboundError::RecordedFewer));
            // The attempt's task may be gone (its runtime shutting down): nothing to tell.
            let _ = f.done.send(r);
        }
    }
}

/// One transaction for the batch, retried when the database is busy; if it still
/// fails, each attempt alone, so one unrecordable attempt cannot keep the others'
/// claims in flight (and resent when their leases expire).
async fn record_batch(
    state: &Outbound,
    policy: &HostPolicy,
    batch: &[Finished],
) -> Vec<Result<Recorded>> {
    let records: Vec<AttemptRecord<'_>> = batch
        .iter()
        .map(|f| AttemptRecord {
            delivery: &f.delivery,
            outcome: &f.outcome,
            effect: f.effect,
            scheme: f.scheme,
            now_ms: f.now_ms,
        })
        .collect();
    let mut tries = 0;
    let error = loop {
        match state.store.record_attempts(&records, policy).await {
            Ok(r) => return r.into_iter().map(Ok).collect(),
            Err(e) if tries < RECORD_RETRIES => {
                tries += 1;
                tracing::warn!(attempts = records.len(), error = %e, tries, "recording delivery attempts failed; retrying");
                tokio::time::sleep(Duration::from_millis(50 << tries)).await;
            }
            Err(e) => break e,
        }
    };
    if records.len() == 1 {
        return vec![Err(error.into())];
    }
    tracing::warn!(attempts = records.len(), error = %error, "recording a batch of attempts failed; recording them one by one");
    let mut out = Vec::with_capacity(records.len());
    for r in &records {
        out.push(
            state
                .store
                .record_attempts(std::slice::from_ref(r), policy)
                .await
                .map_err(OutboundError::from)
                .and_then(|mut v| {
                    v.pop()
                        .ok_or_else(|| StoreError::Inconsistent("nothing recorded".into()).into())
                }),
        );
    }
    out
}
