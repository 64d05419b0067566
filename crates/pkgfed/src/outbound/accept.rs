//! `Accept{Follow}`: put on the durable queue, addressed to the follower's own inbox
//! (the document is built by `crate::federation::activities`).

use serde_json::Value;

use super::Outbound;
use super::error::Result;
use super::outbox;
use crate::federation::activities;
use crate::store::Package;

/// The Accept document of `package` for `follow` (see
/// [`activities::accept`](crate::federation::activities::accept)).
pub fn accept_document(state: &Outbound, package: &Package, follow: &Value) -> Value {
    activities::accept(&state.urls.actor(&package.handle), follow)
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
