//! What operators read about delivery (the admin API and CLI): reports, delivery
//! rows, an activity's status, host state, flagged domains and dead followers.

use serde::Serialize;

use super::ActivityStatus;

/// Which reports [`DeliveryStore::count_reports`](super::DeliveryStore::count_reports) counts.
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
