//! Backfill: a new follower receives the package's most recent posts (count
//! configurable, default 3), oldest first, paced, to its own inbox only, through the
//! same durable queue.

use crate::app::AppState;
use crate::error::Result;
use crate::events::Event;
use crate::store::Package;
use crate::store::delivery::{Audience, DirectTarget, NewOutbound};

/// Queues the backfill for one follower; returns how many posts were queued.
pub async fn queue(
    state: &AppState,
    package: &Package,
    follower: &str,
    inbox: &str,
    follow_id: &str,
) -> Result<u32> {
    let d = &state.settings.delivery;
    if d.backfill_count == 0 {
        return Ok(0);
    }
    let mut items = state
        .store
        .recent_outbox(package.id, d.backfill_count)
        .await?;
    // Open advisories affecting the newest version come along even when older
    // than the most recent posts.
    for a in crate::watch::advisories::open_for_backfill(state, package).await? {
        if !items.iter().any(|i| i.activity_id == a.activity_id) {
            items.push(a);
        }
    }
    items.sort_by_key(|i| i.id);
    if items.is_empty() {
        return Ok(0);
    }
    let actor = state.urls.actor(&package.handle);
    let now = state.clock.now_ms();
    let pacing = d.backfill_pacing_ms as i64;
    for (i, item) in items.iter().enumerate() {
        let kind = serde_json::from_str::<serde_json::Value>(&item.activity)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "Create".into());
        // A tracking id of its own: the activity delivered is the original, unchanged.
        let o = NewOutbound {
            activity_id: format!(
                "{}#backfill/{}",
                item.activity_id,
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, follow_id.as_bytes())
            ),
            actor_id: actor.clone(),
            package_id: Some(package.id),
            kind,
            activity: item.activity.clone(),
        };
        let audience = Audience {
            direct: vec![DirectTarget {
                inbox: inbox.to_owned(),
                recipient: follower.to_owned(),
            }],
            ..Audience::default()
        };
        // Paced after the Accept, which goes first.
        state
            .store
            .enqueue(&o, &audience, now + (i as i64 + 1) * pacing)
            .await?;
    }
    state.events.publish(Event::BackfillRequested {
        package: actor,
        follower: follower.to_owned(),
        posts: items.len() as u32,
    });
    state.delivery_wake.notify_one();
    Ok(items.len() as u32)
}
