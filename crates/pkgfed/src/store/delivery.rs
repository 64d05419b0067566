//! The delivery half of the store: the transactional outbox, the durable delivery
//! queue, delivery reports, per-host state and flagged domains.
//!
//! Times here are Unix milliseconds from the caller's clock, so tests can drive the
//! schedule with a manual clock.

use async_trait::async_trait;
use serde::Serialize;

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

/// An activity to deliver, written with all its deliveries in one transaction.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    /// The activity id (unique: enqueueing the same id twice is a no-op).
    pub activity_id: String,
    /// The local actor that signs it.
    pub actor_id: String,
    /// The package whose key signs it; None for the instance actor.
    pub package_id: Option<i64>,
    /// Activity type.
    pub kind: String,
    /// The JSON to deliver.
    pub activity: String,
}

/// One directly addressed recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectTarget {
    /// The inbox to POST to.
    pub inbox: String,
    /// The actor it serves.
    pub recipient: String,
}

/// Who receives an activity.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    /// Deliver to the followers of this package, one POST per shared inbox.
    pub followers_of: Option<i64>,
    /// Deliver to these inboxes too.
    pub direct: Vec<DirectTarget>,
    /// Spread first attempts this many milliseconds apart (backfill pacing).
    pub pacing_ms: i64,
}

/// What enqueueing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    /// Store id of the outbound activity.
    pub outbound_id: i64,
    /// False when the activity id existed already (nothing was added).
    pub created: bool,
    /// Deliveries to attempt.
    pub deliveries: u64,
    /// Deliveries recorded as skipped (host marked unavailable).
    pub skipped: u64,
}

/// Limits of one claim.
#[derive(Clone, Copy, Debug)]
pub struct ClaimLimits {
    /// Now (ms).
    pub now_ms: i64,
    /// How long a claim holds before it is considered abandoned (crash recovery).
    pub lease_ms: i64,
    /// At most this many deliveries.
    pub limit: u32,
    /// At most this many in flight per host (1 while a host's circuit is half-open).
    pub per_host: u32,
}

/// A delivery claimed for an attempt.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// Delivery id.
    pub id: i64,
    /// Outbound activity id (store).
    pub outbound_id: i64,
    /// Activity id.
    pub activity_id: String,
    /// Signing actor.
    pub actor_id: String,
    /// Signing package (None: the instance actor).
    pub package_id: Option<i64>,
    /// Activity type.
    pub kind: String,
    /// The JSON to POST.
    pub activity: std::sync::Arc<str>,
    /// Target inbox.
    pub inbox: String,
    /// Its host.
    pub host: String,
    /// Actors served by this inbox.
    pub recipients: Vec<String>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Signature scheme the host accepted before (`cavage` or `rfc9421`).
    pub scheme: Option<String>,
}

/// What a delivery's result means, as in the delivery-feedback plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportResult {
    /// 2xx.
    Success,
    /// Will not succeed by retrying.
    PermanentFailure,
    /// Retries exhausted on transient failures.
    TransientFailure,
    /// Not attempted: the host is marked unavailable.
    Skipped,
}

impl ReportResult {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportResult::Success => "success",
            ReportResult::PermanentFailure => "permanent_failure",
            ReportResult::TransientFailure => "transient_failure",
            ReportResult::Skipped => "skipped",
        }
    }
}

/// What an operator (or pkgfed itself) should do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedAction {
    /// 404/410: the follower is gone.
    RemoveFollower,
    /// 403: the remote server refuses us.
    FlagRemoteServer,
    /// 401: our signature was refused.
    RotateKeys,
}

impl SuggestedAction {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestedAction::RemoveFollower => "remove_follower",
            SuggestedAction::FlagRemoteServer => "flag_remote_server",
            SuggestedAction::RotateKeys => "rotate_keys",
        }
    }
}

/// How an attempt ended, as the store records it.
#[derive(Clone, Debug, PartialEq)]
pub enum AttemptOutcome {
    /// Delivered.
    Succeeded {
        /// HTTP status.
        status: u16,
    },
    /// Try again at `at_ms`.
    Retry {
        /// When.
        at_ms: i64,
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// Given up: permanent failure or retries exhausted.
    Failed {
        /// Permanent or transient-exhausted.
        result: ReportResult,
        /// HTTP status, when there was a response.
        status: Option<u16>,
        /// What went wrong.
        reason: String,
        /// What to do about it.
        action: Option<SuggestedAction>,
    },
}

/// How an attempt affects its host's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostEffect {
    /// The host answered (any non-5xx, non-429 status): healthy.
    Alive,
    /// Network error, timeout, 5xx or 429: counts towards the circuit breaker.
    Failing,
    /// Nothing learned (e.g. an unusable inbox URL).
    Neutral,
}

/// Circuit-breaker and availability policy.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Cooldown before the first probe after opening (ms); doubles per failed probe.
    pub base_cooldown_ms: i64,
    /// Longest cooldown (ms).
    pub max_cooldown_ms: i64,
    /// A host failing continuously this long is marked unavailable (ms).
    pub unavailable_after_ms: i64,
}

/// Status of an outbound activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    /// Deliveries remain.
    Pending,
    /// Every delivery succeeded (or was skipped).
    Completed,
    /// A delivery failed for good.
    Failed,
}

impl ActivityStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Pending => "pending",
            ActivityStatus::Completed => "completed",
            ActivityStatus::Failed => "failed",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Self {
        match s {
            "completed" => ActivityStatus::Completed,
            "failed" => ActivityStatus::Failed,
            _ => ActivityStatus::Pending,
        }
    }
}

/// What recording an outcome changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The report written (final outcomes only).
    pub report_id: Option<String>,
    /// The activity's status after this outcome, when it changed.
    pub status_changed: Option<ActivityStatus>,
    /// The host's circuit opened (or reopened) with this attempt.
    pub circuit_opened: bool,
    /// The host was marked unavailable with this attempt.
    pub became_unavailable: bool,
}

/// One finished attempt to record (see [`DeliveryStore::record_attempts`]).
#[derive(Clone, Copy, Debug)]
pub struct AttemptRecord<'a> {
    /// The claimed delivery that was attempted.
    pub delivery: &'a ClaimedDelivery,
    /// How it ended.
    pub outcome: &'a AttemptOutcome,
    /// What it says about the host's health.
    pub effect: HostEffect,
    /// The signature scheme to remember for the host (after a success).
    pub scheme: Option<&'a str>,
    /// When it ended (ms).
    pub now_ms: i64,
}

/// Which reports [`DeliveryStore::count_reports`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportScope<'a> {
    /// Deliveries to this host.
    Host(&'a str),
    /// Deliveries signed by this local actor.
    Actor(&'a str),
}

/// A delivery report (one per final outcome of an activity at an inbox).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Report id.
    pub report_id: String,
    /// Activity id.
    pub activity_id: String,
    /// Sending actor.
    pub actor_id: String,
    /// Activity type.
    pub activity_type: String,
    /// Recipients served by the inbox.
    pub recipients: Vec<String>,
    /// The inbox.
    pub inbox_url: String,
    /// Outcome.
    pub result: String,
    /// HTTP status, when there was a response.
    pub status_code: Option<u16>,
    /// Why.
    pub reason: String,
    /// Suggested action.
    pub suggested_action: Option<String>,
    /// Whether pkgfed acted on it.
    pub action_taken: bool,
    /// Attempts made.
    pub attempts: u32,
    /// When (ms).
    pub created_at: i64,
}

/// A delivery row as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRow {
    /// Target inbox.
    pub inbox: String,
    /// Recipients it serves.
    pub recipients: Vec<String>,
    /// pending, in_flight, succeeded, failed or skipped.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// Next attempt (ms), for pending ones.
    pub next_attempt_at: i64,
    /// Last HTTP status.
    pub last_status: Option<u16>,
    /// Last error.
    pub last_error: Option<String>,
}

/// An outbound activity with its deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActivityStatusView {
    /// Activity id.
    pub activity_id: String,
    /// Signing actor.
    pub actor_id: String,
    /// Type.
    pub kind: String,
    /// Status.
    pub status: ActivityStatus,
    /// Why it failed, when it did.
    pub status_detail: Option<String>,
    /// Per inbox.
    pub deliveries: Vec<DeliveryRow>,
}

/// A host's delivery state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostState {
    /// Host (with port when not default).
    pub host: String,
    /// `closed`, `open` or `half_open`.
    pub circuit: String,
    /// Consecutive failures.
    pub consecutive_failures: u32,
    /// First failure of the current streak (ms).
    pub failing_since: Option<i64>,
    /// No attempts before this (ms).
    pub circuit_open_until: Option<i64>,
    /// New deliveries are skipped.
    pub unavailable: bool,
    /// Last success (ms).
    pub last_success_at: Option<i64>,
    /// Accepted signature scheme.
    pub signature_scheme: Option<String>,
    /// Deliveries waiting.
    pub pending: u64,
}

/// A flagged domain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlaggedDomain {
    /// The domain.
    pub domain: String,
    /// Why.
    pub reason: String,
    /// When (ms).
    pub flagged_at: i64,
}

/// A follower whose deliveries show it is gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadFollower {
    /// The followed package's id.
    pub package_id: i64,
    /// The follower.
    pub actor_id: String,
    /// Its inbox.
    pub inbox: String,
    /// Why it is considered dead.
    pub reason: String,
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
