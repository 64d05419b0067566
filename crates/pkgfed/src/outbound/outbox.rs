//! Putting activities on the durable queue.

use serde_json::Value;

use crate::app::AppState;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::store::Package;
use crate::store::delivery::{Audience, Enqueued, NewOutbound};

fn outbound(state: &AppState, package: &Package, activity: &Value) -> Result<NewOutbound> {
    let activity_id = activity
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Internal("an outbound activity needs an id".into()))?
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

/// Queues a non-public activity of `package` (e.g. an Accept) for `audience`.
pub async fn send(
    state: &AppState,
    package: &Package,
    activity: &Value,
    audience: Audience,
) -> Result<Enqueued> {
    let o = outbound(state, package, activity)?;
    let done = state
        .store
        .enqueue(&o, &audience, state.clock.now_ms())
        .await?;
    requested(state, &o, &done);
    Ok(done)
}

/// Adds a public activity to `package`'s outbox and queues it to its followers (and
/// `audience.direct`), in one transaction.
pub async fn publish(
    state: &AppState,
    package: &Package,
    activity: &Value,
    mut audience: Audience,
) -> Result<Enqueued> {
    let o = outbound(state, package, activity)?;
    audience.followers_of = Some(package.id);
    let done = state
        .store
        .publish(&o, &audience, state.clock.now_ms())
        .await?;
    requested(state, &o, &done);
    Ok(done)
}

fn requested(state: &AppState, o: &NewOutbound, done: &Enqueued) {
    if !done.created {
        return;
    }
    state.events.publish(Event::DeliveryRequested {
        activity_id: o.activity_id.clone(),
        kind: o.kind.clone(),
        deliveries: done.deliveries,
        skipped: done.skipped,
    });
    state.delivery_wake.notify_one();
}
