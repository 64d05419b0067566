//! The outbox: the one way activities get on the durable queue. Every sender goes
//! through here — release and advisory posts ([`publish`], [`send`]), the `Accept`
//! of a Follow ([`send_to_inbox`]) and a new follower's backfill ([`backfill`]).

use serde_json::Value;

use super::Outbound;
use super::error::{OutboundError, Result};
use crate::events::Event;
use crate::store::delivery::{Audience, DirectTarget, Enqueued, NewOutbound};
use crate::store::{OutboxItem, Package};

fn outbound(state: &Outbound, package: &Package, activity: &Value) -> Result<NewOutbound> {
    let activity_id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| OutboundError::NoActivityId)?
        .to_owned();
    Ok(NewOutbound {
        activity_id,
        actor_id: state.urls.actor(&package.handle),
        package_id: Some(package.id),
        kind: activity
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("Activity")
            .to_owned(),
        activity: activity.to_string(),
    })
}

/// The package's followers, as an audience.
pub fn followers(package: &Package) -> Audience {
    Audience {
        followers_of: Some(package.id),
        ..Audience::default()
    }
}

/// Queues a non-public activity of `package` (e.g. an `Update` to the followers) for
/// `audience`.
pub async fn send(
    state: &impl AsRef<Outbound>,
    package: &Package,
    activity: &Value,
    audience: Audience,
) -> Result<Enqueued> {
    let state = state.as_ref();
    let o = outbound(state, package, activity)?;
    let done = state
        .store
        .enqueue(&o, &audience, state.clock.now_ms())
        .await?;
    requested(state, &o, &done);
    Ok(done)
}

/// Queues a non-public activity of `package` (the `Accept` of a Follow) for one
/// actor at its own inbox.
pub async fn send_to_inbox(
    state: &impl AsRef<Outbound>,
    package: &Package,
    activity: &Value,
    recipient: &str,
    inbox: &str,
) -> Result<Enqueued> {
    send(state, package, activity, direct(recipient, inbox)).await
}

/// Adds a public activity to `package`'s outbox and queues it to its followers (and
/// `audience.direct`), in one transaction.
pub async fn publish(
    state: &impl AsRef<Outbound>,
    package: &Package,
    activity: &Value,
    mut audience: Audience,
) -> Result<Enqueued> {
    let state = state.as_ref();
    let o = outbound(state, package, activity)?;
    audience.followers_of = Some(package.id);
    let done = state
        .store
        .publish(&o, &audience, state.clock.now_ms())
        .await?;
    requested(state, &o, &done);
    Ok(done)
}

/// Backfill: queues `items` (the posts a new follower receives, see
/// `crate::posts::backfill`) oldest first, paced by `delivery.backfill_pacing_ms`
/// after the Accept, to the follower's own inbox only. Returns how many were queued.
pub async fn backfill(
    state: &impl AsRef<Outbound>,
    package: &Package,
    follower: &str,
    inbox: &str,
    follow_id: &str,
    mut items: Vec<OutboxItem>,
) -> Result<u32> {
    let state = state.as_ref();
    items.sort_by_key(|i| i.id);
    if items.is_empty() {
        return Ok(0);
    }
    let actor = state.urls.actor(&package.handle);
    let now = state.clock.now_ms();
    let pacing = state.settings.delivery.backfill_pacing_ms as i64;
    for (i, item) in items.iter().enumerate() {
        let kind = serde_json::from_str::<Value>(&item.activity)
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
        // Paced after the Accept, which goes first.
        state
            .store
            .enqueue(&o, &direct(follower, inbox), now + (i as i64 + 1) * pacing)
            .await?;
    }
    state.events.publish(Event::BackfillRequested {
        package: actor,
        follower: follower.to_owned(),
        posts: items.len() as u32,
    });
    state.wake.notify_one();
    Ok(items.len() as u32)
}

fn direct(recipient: &str, inbox: &str) -> Audience {
    Audience {
        direct: vec![DirectTarget {
            inbox: inbox.to_owned(),
            recipient: recipient.to_owned(),
        }],
        ..Audience::default()
    }
}

fn requested(state: &Outbound, o: &NewOutbound, done: &Enqueued) {
    if !done.created {
        return;
    }
    state.events.publish(Event::DeliveryRequested {
        activity_id: o.activity_id.clone(),
        kind: o.kind.clone(),
        deliveries: done.deliveries,
        skipped: done.skipped,
    });
    state.wake.notify_one();
}
