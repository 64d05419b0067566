//! `Accept{Follow}`: built and put on the durable queue, addressed to the
//! follower's own inbox.

use serde_json::{Value, json};

use super::Outbound;
use super::outbox;
use crate::error::Result;
use crate::store::Package;

/// The Accept document. The Follow is embedded (Mastodon matches the Accept to its
/// pending follow by the embedded Follow's id). Its id derives from the Follow's, so
/// a redelivered Follow queues the same Accept once.
pub fn accept_document(state: &Outbound, package: &Package, follow: &Value) -> Value {
    let actor = state.urls.actor(&package.handle);
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!(
            "{actor}#accepts/follows/{}",
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, follow.get("id").and_then(Value::as_str).unwrap_or_default().as_bytes())
        ),
        "type": "Accept",
        "actor": actor,
        "object": {
            "id": follow.get("id").cloned().unwrap_or(Value::Null),
            "type": "Follow",
            "actor": follow.get("actor").cloned().unwrap_or(Value::Null),
            "object": actor,
        },
    })
}

/// Queues the Accept for `follower` at `inbox`.
pub async fn send(
    state: &Outbound,
    package: &Package,
    follow: &Value,
    follower: &str,
    inbox: &str,
) -> Result<()> {
    let doc = accept_document(state, package, follow);
    outbox::send_to_inbox(state, package, &doc, follower, inbox).await?;
    Ok(())
}
