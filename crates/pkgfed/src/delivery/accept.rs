//! `Accept{Follow}`: built, signed with the package's key, POSTed to the follower's
//! inbox, retried a few times in the background.

use std::time::Duration;

use pkgfed_protocol::keys::RsaPrivateKey;
use serde_json::{Value, json};

use super::sign::post_activity;
use crate::app::AppState;
use crate::events::Event;
use crate::store::Package;

/// Delays before each attempt: the first is immediate.
const ATTEMPT_DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(60),
];

/// The Accept document. The Follow is embedded as received (Mastodon matches the
/// Accept to its pending follow by the embedded Follow's id).
pub fn accept_document(state: &AppState, package: &Package, follow: &Value) -> Value {
    let actor = state.urls.actor(&package.handle);
    let follow_obj = json!({
        "id": follow.get("id").cloned().unwrap_or(Value::Null),
        "type": "Follow",
        "actor": follow.get("actor").cloned().unwrap_or(Value::Null),
        "object": actor,
    });
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#accepts/follows/{}", uuid::Uuid::now_v7()),
        "type": "Accept",
        "actor": actor,
        "object": follow_obj,
    })
}

/// Sends the Accept in the background.
pub fn send(state: &AppState, package: &Package, follow: &Value, inbox: &str) {
    let state = state.clone();
    let package = package.clone();
    let inbox = inbox.to_owned();
    let body = match serde_json::to_vec(&accept_document(&state, &package, follow)) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise Accept");
            return;
        }
    };
    tokio::spawn(async move {
        let actor = state.urls.actor(&package.handle);
        let mut last_error = String::new();
        for delay in ATTEMPT_DELAYS {
            tokio::time::sleep(delay).await;
            let key = match RsaPrivateKey::from_pkcs8_pem(&package.private_key_pem) {
                Ok(k) => k,
                Err(e) => {
                    last_error = format!("package key unusable: {e}");
                    break;
                }
            };
            match post_activity(
                &state,
                &inbox,
                body.clone(),
                key,
                state.urls.key_id(&package.handle),
            )
            .await
            {
                Ok(r) if r.status.is_success() => {
                    state.events.publish(Event::AcceptDelivered {
                        package: actor,
                        inbox,
                    });
                    return;
                }
                // Permanent refusals are not retried.
                Ok(r) if matches!(r.status.as_u16(), 400 | 401 | 403 | 404 | 410) => {
                    last_error = format!("HTTP {}", r.status.as_u16());
                    break;
                }
                Ok(r) => last_error = format!("HTTP {}", r.status.as_u16()),
                Err(e) => last_error = e.to_string(),
            }
            tracing::debug!(%inbox, error = %last_error, "Accept attempt failed");
        }
        tracing::warn!(%inbox, error = %last_error, "Accept not delivered");
        state.events.publish(Event::AcceptFailed {
            package: actor,
            inbox,
            error: last_error,
        });
    });
}
