//! How an attempt ended and what recording it changes: report results, suggested
//! actions, host effects and policy, and the status of an outbound activity.

use serde::Serialize;

use super::ClaimedDelivery;

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

/// One finished attempt to record (see [`DeliveryStore::record_attempts`](super::DeliveryStore::record_attempts)).
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
