//! The delivery half of the store: the transactional outbox, the durable delivery
//! queue, delivery reports, per-host state and flagged domains.
//!
//! Times here are Unix milliseconds from the caller's clock, so tests can drive the
//! schedule with a manual clock.
//!
//! The row and value types are split by use: `queue` (enqueueing and claiming),
//! `outcome` (recording attempts) and `views` (what operators read); all of them
//! are re-exported here.

mod outcome;
mod queue;
mod views;

use async_trait::async_trait;

pub use self::outcome::*;
pub use self::queue::*;
pub use self::views::*;
use super::StoreResult;

/// `host[:port]` of an inbox URL, the unit of per-host limits and circuit breaking;
/// empty when the URL is unusable (the attempt then fails permanently).
pub fn host_of(inbox: &str) -> String {
    match url::Url::parse(inbox) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// Notices commits made to the database through other connections (another
/// process queueing deliveries), cheaply enough to ask many times a second.
#[async_trait]
pub trait ChangeWatch: Send {
    /// Whether anything was committed through another connection since the last
    /// call (or since the watch was made).
    async fn changed(&mut self) -> StoreResult<bool>;
}

/// Durable delivery state.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Writes the activity and one delivery per target inbox in ONE transaction.
    /// Followers are grouped by shared inbox; targets on unavailable hosts are
    /// recorded as skipped (with a report). Idempotent on the activity id.
    async fn enqueue(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued>;

    /// Claims due deliveries: fresh ones before retries, within the per-host limit,
    /// skipping hosts whose circuit is open (a half-open host gets one probe).
    async fn claim_due(&self, limits: ClaimLimits) -> StoreResult<Vec<ClaimedDelivery>>;

    /// Returns abandoned claims (lease expired, e.g. after a crash) to the queue.
    async fn release_expired_claims(&self, now_ms: i64) -> StoreResult<u64>;

    /// Records an attempt's outcome in one transaction: the delivery, a report for a
    /// final outcome, the host's health, and the activity's status.
    async fn record_attempt(
        &self,
        delivery: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        effect: HostEffect,
        scheme: Option<&str>,
        policy: &HostPolicy,
        now_ms: i64,
    ) -> StoreResult<Recorded>;

    /// Records several attempts' outcomes in ONE transaction, with the same effect
    /// as recording them one after the other in this order: the returned
    /// [`Recorded`]s are in the same order, a host's circuit and availability
    /// follow every effect in turn, and an activity's status change is reported on
    /// its last attempt in the batch. A backend should make it all or nothing (one
    /// transaction, as SQLite does: that is the point, one commit for many
    /// attempts); this default records them one by one.
    async fn record_attempts(
        &self,
        batch: &[AttemptRecord<'_>],
        policy: &HostPolicy,
    ) -> StoreResult<Vec<Recorded>> {
        let mut out = Vec::with_capacity(batch.len());
        for a in batch {
            out.push(
                self.record_attempt(a.delivery, a.outcome, a.effect, a.scheme, policy, a.now_ms)
                    .await?,
            );
        }
        Ok(out)
    }

    /// A [`ChangeWatch`] on this database, when the backend has a cheap one (the
    /// worker then notices deliveries queued by another process within a fraction
    /// of its idle poll).
    async fn change_watch(&self) -> StoreResult<Option<Box<dyn ChangeWatch>>> {
        Ok(None)
    }

    /// The earliest `next_attempt_at` of pending deliveries (to sleep until then).
    async fn next_due_at(&self) -> StoreResult<Option<i64>>;

    /// Removes every follower whose inbox or shared inbox is `inbox`; returns the
    /// removed (package id, actor id) pairs and marks the report as acted on.
    async fn remove_followers_at_inbox(
        &self,
        inbox: &str,
        report_id: &str,
    ) -> StoreResult<Vec<(i64, String)>>;

    /// How many reports of `status_code` for `scope` since `since_ms`.
    async fn count_reports(
        &self,
        scope: ReportScope<'_>,
        status_code: u16,
        since_ms: i64,
    ) -> StoreResult<u64>;

    /// Flags a domain for review (no-op if flagged); true when newly flagged.
    async fn flag_domain(&self, domain: &str, reason: &str, now_ms: i64) -> StoreResult<bool>;
    /// Flagged domains.
    async fn flagged_domains(&self) -> StoreResult<Vec<FlaggedDomain>>;
    /// Clears a flag; false when it was not flagged.
    async fn clear_flagged_domain(&self, domain: &str) -> StoreResult<bool>;

    /// A verified activity arrived from `host`: it is available again.
    async fn host_seen(&self, host: &str, now_ms: i64) -> StoreResult<()>;
    /// Every known host's state.
    async fn hosts(&self, now_ms: i64) -> StoreResult<Vec<HostState>>;

    /// An outbound activity's status with its deliveries.
    async fn activity_status(&self, activity_id: &str) -> StoreResult<Option<ActivityStatusView>>;
    /// Reports of failed deliveries, newest first, optionally for one actor.
    async fn failures(
        &self,
        actor_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryReport>>;
    /// Reports for one activity.
    async fn reports_for(&self, activity_id: &str) -> StoreResult<Vec<DeliveryReport>>;
    /// Followers that are gone: at an unavailable host, or whose inbox answered
    /// 404/410 without the follower being removed.
    async fn dead_followers(&self, package_id: Option<i64>) -> StoreResult<Vec<DeadFollower>>;
    /// Removes the given follow relationships; returns how many.
    async fn remove_follows(&self, follows: &[(i64, String)]) -> StoreResult<u64>;
    /// Deletes reports older than `before_ms`; returns how many.
    async fn prune_reports(&self, before_ms: i64) -> StoreResult<u64>;
    /// The package's most recent public outbox activities, oldest first.
    async fn recent_outbox(
        &self,
        package_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<super::OutboxItem>>;
    /// Adds an activity to a package's public outbox (in the same call as its
    /// enqueue, see [`DeliveryStore::publish`]).
    async fn publish(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued>;
}
