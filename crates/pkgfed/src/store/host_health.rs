//! A host's delivery health as both backends keep it (the `hosts` table): how one
//! attempt's [`HostEffect`] moves its failure streak, circuit breaker and
//! availability. Pure logic, so the two backends cannot drift apart.

use crate::store::delivery::{HostEffect, HostPolicy};

/// A host's row, brought up to date in memory over a batch's effects and written
/// once.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostRow {
    pub(crate) consecutive_failures: i64,
    pub(crate) failing_since: Option<i64>,
    pub(crate) circuit_open_until: Option<i64>,
    pub(crate) unavailable: bool,
    pub(crate) last_success_at: Option<i64>,
    pub(crate) signature_scheme: Option<String>,
}

impl HostRow {
    /// Applies one attempt's effect; returns (circuit opened, became unavailable).
    /// "Opened" means it was closed (or its cooldown over: a failed probe) before this
    /// attempt: more failures of attempts that were in flight when it opened extend
    /// the cooldown without opening it again, so one outage is one event and one
    /// warning, not one per concurrent delivery.
    pub(crate) fn apply(
        &mut self,
        effect: HostEffect,
        delivered: bool,
        scheme: Option<&str>,
        policy: &HostPolicy,
        now_ms: i64,
    ) -> (bool, bool) {
        match effect {
            HostEffect::Alive => {
                self.consecutive_failures = 0;
                self.failing_since = None;
                self.circuit_open_until = None;
                if delivered {
                    self.unavailable = false;
                    self.last_success_at = Some(now_ms);
                }
                if let Some(s) = scheme {
                    self.signature_scheme = Some(s.to_owned());
                }
                (false, false)
            }
            HostEffect::Failing => {
                let failures = self.consecutive_failures + 1;
                let since = self.failing_since.unwrap_or(now_ms);
                let open_until = (failures >= i64::from(policy.failure_threshold)).then(|| {
                    let doublings = (failures - i64::from(policy.failure_threshold)).min(20) as u32;
                    now_ms
                        + policy
                            .base_cooldown_ms
                            .saturating_mul(1 << doublings)
                            .min(policy.max_cooldown_ms)
                });
                let was_open = self.circuit_open_until.is_some_and(|t| t > now_ms);
                let was_unavailable = self.unavailable;
                let unavailable = was_unavailable || now_ms - since >= policy.unavailable_after_ms;
                self.consecutive_failures = failures;
                self.failing_since = Some(since);
                self.circuit_open_until = open_until;
                self.unavailable = unavailable;
                (
                    open_until.is_some() && !was_open,
                    unavailable && !was_unavailable,
                )
            }
            HostEffect::Neutral => (false, false),
        }
    }
}
