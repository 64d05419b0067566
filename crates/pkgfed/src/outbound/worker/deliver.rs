//! One delivery: the signing key, the attempt, its classification and record,
//! remediation and events; or a skip when the domain policy refuses the host.

use std::sync::Arc;
use std::time::SystemTime;

use pkgfed_protocol::keys::RsaPrivateKey;
use tokio::sync::{mpsc, oneshot};

use super::Deliverer;
use crate::events::Event;
use crate::outbound::Outbound;
use crate::outbound::attempt::{self, CAVAGE};
use crate::outbound::classify::{Class, classify_error, classify_status};
use crate::outbound::error::{OutboundError, Result};
use crate::outbound::recorder::{Finished, record_loop};
use crate::outbound::{remediate, schedule};
use crate::store::delivery::{AttemptOutcome, ClaimedDelivery, HostEffect, Recorded, ReportResult};

impl Deliverer {
    async fn signing_key(&self, d: &ClaimedDelivery) -> Result<Arc<RsaPrivateKey>> {
        let Some(package_id) = d.package_id else {
            return Ok(self.state.instance_key.clone());
        };
        if let Some(k) = self.state.keys.get(package_id) {
            return Ok(k);
        }
        let generation = self.state.keys.generation();
        let package = self
            .state
            .store
            .package_by_id(package_id)
            .await?
            .ok_or_else(|| OutboundError::PackageGone {
                package_id,
                activity_id: d.activity_id.clone(),
            })?;
        let key = Arc::new(
            RsaPrivateKey::from_pkcs8_pem(&package.private_key_pem)
                .map_err(OutboundError::PackageKey)?,
        );
        self.state.keys.insert(package_id, key.clone(), generation);
        Ok(key)
    }

    /// One attempt, classified and recorded, with remediation and events.
    pub async fn deliver(&self, d: ClaimedDelivery) {
        let d = Arc::new(d);
        if let Err(e) = self.try_deliver(&d).await {
            tracing::error!(inbox = %d.inbox, activity = %d.activity_id, error = %e, "delivery bookkeeping failed");
        }
    }

    /// Hands a finished attempt to the recorder and waits until its outcome is
    /// committed: only then may the claim be considered done.
    async fn record(
        &self,
        d: &Arc<ClaimedDelivery>,
        outcome: &AttemptOutcome,
        effect: HostEffect,
        scheme: Option<&'static str>,
        now_ms: i64,
    ) -> Result<Recorded> {
        let queue = self.recorder.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(record_loop(self.state.clone(), self.policy(), rx));
            tx
        });
        let (done, recorded) = oneshot::channel();
        queue
            .send(Finished {
                delivery: d.clone(),
                outcome: outcome.clone(),
                effect,
                scheme,
                now_ms,
                done,
            })
            .map_err(|_| OutboundError::RecorderStopped)?;
        recorded.await.map_err(|_| OutboundError::AttemptDropped)?
    }

    async fn try_deliver(&self, d: &Arc<ClaimedDelivery>) -> Result<()> {
        let state = &self.state;
        if let Some(reason) = refused_by_policy(state, &d.inbox) {
            return self.skip(d, reason).await;
        }
        let (class, effect, status, error, scheme) = match self.signing_key(d).await {
            Ok(key) => {
                let result = attempt::attempt(state, d, key).await;
                match result.response {
                    Ok((status, headers)) => {
                        let (class, effect) = classify_status(status, &headers, SystemTime::now());
                        (
                            class,
                            effect,
                            Some(status),
                            format!("HTTP {status}"),
                            result.scheme,
                        )
                    }
                    Err(e) => {
                        let (class, effect) = classify_error(&e);
                        (class, effect, None, e.to_string(), result.scheme)
                    }
                }
            }
            Err(e) => (
                Class::Permanent { action: None },
                crate::store::delivery::HostEffect::Neutral,
                None,
                e.to_string(),
                CAVAGE,
            ),
        };
        let now = state.clock.now_ms();
        let attempts = d.attempts + 1;
        let outcome = match &class {
            Class::Success => AttemptOutcome::Succeeded {
                status: status.unwrap_or(200),
            },
            Class::Permanent { action } => AttemptOutcome::Failed {
                result: ReportResult::PermanentFailure,
                status,
                reason: error.clone(),
                action: *action,
            },
            Class::Transient { retry_after } => {
                match schedule::next_attempt_ms(now, attempts, d.id, *retry_after) {
                    Some(at_ms) => AttemptOutcome::Retry {
                        at_ms,
                        status,
                        error: error.clone(),
                    },
                    None => AttemptOutcome::Failed {
                        result: ReportResult::TransientFailure,
                        status,
                        reason: format!("gave up after {attempts} attempts; last: {error}"),
                        action: None,
                    },
                }
            }
        };
        let class_label = match &outcome {
            AttemptOutcome::Succeeded { .. } => "success",
            AttemptOutcome::Retry { .. } => "retry",
            AttemptOutcome::Failed {
                result: ReportResult::PermanentFailure,
                ..
            } => "permanent_failure",
            AttemptOutcome::Failed { .. } => "gave_up",
        };
        metrics::counter!(crate::telemetry::metrics::DELIVERIES, "class" => class_label)
            .increment(1);
        let remembered = matches!(class, Class::Success).then_some(scheme);
        let _remediating = match &outcome {
            AttemptOutcome::Failed {
                result: ReportResult::PermanentFailure,
                ..
            } => Some(self.remediation.lock().await),
            _ => None,
        };
        // The attempt happened: losing its record would leave the claim in flight
        // until its lease expires and send the activity again. The recorder retries
        // a busy database a few times before giving up.
        let recorded = self.record(d, &outcome, effect, remembered, now).await?;
        if recorded.circuit_opened {
            tracing::warn!(host = %d.host, "circuit opened: host will be probed instead of hammered");
            state.events.publish(Event::CircuitOpened {
                host: d.host.clone(),
            });
        }
        if recorded.became_unavailable {
            tracing::warn!(host = %d.host, "host failing for days: marked unavailable, new deliveries are skipped");
            state.events.publish(Event::HostUnavailable {
                host: d.host.clone(),
            });
        }
        if let Some(report_id) = &recorded.report_id {
            state.events.publish(Event::DeliveryReported {
                report_id: report_id.clone(),
                activity_id: d.activity_id.clone(),
                inbox: d.inbox.clone(),
                result: match &outcome {
                    AttemptOutcome::Succeeded { .. } => ReportResult::Success,
                    AttemptOutcome::Failed { result, .. } => *result,
                    AttemptOutcome::Retry { .. } => ReportResult::TransientFailure,
                },
                status_code: status,
            });
        }
        if let AttemptOutcome::Failed { result, reason, .. } = &outcome {
            tracing::info!(inbox = %d.inbox, activity = %d.activity_id, %reason, "delivery failed for good");
            state.events.publish(Event::DeliveryFailed {
                activity_id: d.activity_id.clone(),
                inbox: d.inbox.clone(),
                reason: reason.clone(),
                exhausted: *result == ReportResult::TransientFailure,
            });
            if *result == ReportResult::PermanentFailure
                && let Some(report_id) = &recorded.report_id
            {
                remediate::on_permanent_failure(state, d, status, report_id).await?;
            }
        }
        if let Some(status) = recorded.status_changed {
            state.events.publish(Event::ActivityStatusChanged {
                activity_id: d.activity_id.clone(),
                status,
            });
        }
        Ok(())
    }

    /// Records a delivery to a refused domain as skipped, with a report saying why;
    /// nothing is sent and the host's health is untouched.
    async fn skip(&self, d: &Arc<ClaimedDelivery>, reason: String) -> Result<()> {
        let reason = format!("not attempted: {reason}");
        tracing::info!(inbox = %d.inbox, activity = %d.activity_id, %reason, "delivery skipped");
        metrics::counter!(crate::telemetry::metrics::DELIVERIES, "class" => "skipped").increment(1);
        let outcome = AttemptOutcome::Failed {
            result: ReportResult::Skipped,
            status: None,
            reason,
            action: None,
        };
        let now = self.state.clock.now_ms();
        let recorded = self
            .record(d, &outcome, HostEffect::Neutral, None, now)
            .await?;
        if let Some(report_id) = recorded.report_id {
            self.state.events.publish(Event::DeliveryReported {
                report_id,
                activity_id: d.activity_id.clone(),
                inbox: d.inbox.clone(),
                result: ReportResult::Skipped,
                status_code: None,
            });
        }
        if let Some(status) = recorded.status_changed {
            self.state.events.publish(Event::ActivityStatusChanged {
                activity_id: d.activity_id.clone(),
                status,
            });
        }
        Ok(())
    }
}

/// Why the domain policy refuses the inbox's host, if it does.
fn refused_by_policy(state: &Outbound, inbox: &str) -> Option<String> {
    let host = url::Url::parse(inbox).ok()?.host_str()?.to_owned();
    state.domains.refusal(&host)
}
