//! Acting on delivery reports:
//! - 404/410 from an inbox removes the followers behind it (report marked acted on);
//! - three or more 403s from one domain within 24 h flag the domain for review;
//! - three or more 401s for one sending actor within 24 h raise a warning
//!   recommending key rotation.

use super::Outbound;
use super::error::Result;
use crate::events::Event;
use crate::store::delivery::{ClaimedDelivery, ReportScope};

/// Repeats within a day that trigger flagging or a key-rotation warning.
pub const REPEAT_THRESHOLD: u64 = 3;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Applies the rules to a permanent failure with `status`.
pub async fn on_permanent_failure(
    state: &Outbound,
    d: &ClaimedDelivery,
    status: Option<u16>,
    report_id: &str,
) -> Result<()> {
    let now = state.clock.now_ms();
    match status {
        Some(404 | 410) => {
            let removed = state
                .store
                .remove_followers_at_inbox(&d.inbox, report_id)
                .await?;
            for (package_id, follower) in removed {
                tracing::info!(%follower, inbox = %d.inbox, "follower gone (404/410): removed");
                state.events.publish(Event::FollowerRemoved {
                    package: package_actor(state, package_id).await,
                    follower,
                    reason: "gone",
                });
            }
        }
        Some(403) => {
            let n = state
                .store
                .count_reports(ReportScope::Host(&d.host), 403, now - DAY_MS)
                .await?;
            if n >= REPEAT_THRESHOLD {
                let reason = format!("{n} deliveries refused with 403 within 24 hours");
                if state.store.flag_domain(&d.host, &reason, now).await? {
                    tracing::warn!(domain = %d.host, %reason, "domain flagged for review");
                    state.events.publish(Event::DomainFlagged {
                        domain: d.host.clone(),
                        reason,
                    });
                }
            }
        }
        Some(401) => {
            let n = state
                .store
                .count_reports(ReportScope::Actor(&d.actor_id), 401, now - DAY_MS)
                .await?;
            if n == REPEAT_THRESHOLD {
                tracing::warn!(
                    actor = %d.actor_id,
                    "{n} deliveries refused with 401 within 24 hours: remote servers reject this actor's signatures; \
                     consider rotating its key"
                );
                state.events.publish(Event::KeyRotationRecommended {
                    actor: d.actor_id.clone(),
                    refusals: n,
                });
            }
        }
        _ => {}
    }
    Ok(())
}

async fn package_actor(state: &Outbound, package_id: i64) -> Option<String> {
    let package = state.store.package_by_id(package_id).await.ok()??;
    Some(state.urls.actor(&package.handle))
}
