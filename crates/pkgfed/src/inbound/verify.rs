//! Step 3: the HTTP signature verifies with the signer's key.
//!
//! draft-cavage-12 and RFC 9421 are both accepted (see `pkgfed_protocol::signatures`
//! for what each must cover). Every failure is 401, never 202, so senders that try
//! RFC 9421 first fall back to draft-cavage.

use std::time::SystemTime;

use pkgfed_protocol::signatures::{self, ParsedSignature, VerifyOptions};
use serde_json::Value;

use super::InboundRequest;
use super::key_fetches::{self, Share};
use super::signer::{self, Signer};
use crate::inbound::Inbound;
use crate::inbound::error::{InboundError, Result};

/// Parses the signature headers and checks coverage, clock skew and body digest.
pub fn parse_signature(state: &Inbound, req: &InboundRequest) -> Result<ParsedSignature> {
    let opts = VerifyOptions {
        max_skew: state.settings.signature_max_skew,
        now: SystemTime::now(),
        scheme: state.settings.base_url.scheme().to_owned(),
    };
    signatures::parse_request(
        &req.method,
        &req.path_and_query,
        &req.headers,
        &req.body,
        &opts,
    )
    .map_err(|e| InboundError::Unauthorized(format!("signature refused: {e}")))
}

/// Whether the activity is an actor deleting itself: its key may be gone (410) by
/// the time it arrives, so a cached key past its TTL is still used for it.
fn is_self_delete(json: &Value) -> bool {
    let actor = json
        .get("actor")
        .and_then(pkgfed_protocol::activitystreams::id_of);
    json.get("type").and_then(Value::as_str) == Some("Delete")
        && actor.is_some()
        && json
            .get("object")
            .and_then(pkgfed_protocol::activitystreams::id_of)
            == actor
}

/// Resolves the signer and verifies the signature, refetching the key once when a
/// cached one does not verify (at most once a minute per key: `super::refetch`).
pub async fn verify(state: &Inbound, sig: &ParsedSignature, json: &Value) -> Result<Signer> {
    let cached = signer::cached(state, &sig.key_id).await?;
    let signer = match cached {
        Some((cached, fresh_enough)) if fresh_enough => {
            if sig.verify(&cached.key).is_ok() {
                return Ok(cached);
            }
            // The actor may have rotated its key: fetch it again, at most once a
            // minute per key.
            if !state.refetches.allow(&sig.key_id, state.clock.now_ms()) {
                return Err(InboundError::Unauthorized(format!(
                    "signature does not verify with the cached key {}, which was re-fetched less than {} s ago",
                    sig.key_id,
                    super::refetch::REFETCH_INTERVAL_MS / 1000
                )));
            }
            key_fetches::fetch(state, &sig.key_id, Share::InFlight).await?
        }
        Some((stale, _)) => match key_fetches::fetch(state, &sig.key_id, Share::InFlight).await {
            Ok(s) => s,
            Err(e) if is_self_delete(json) => {
                tracing::debug!(key = %sig.key_id, error = %e, "using stale key for a self-delete");
                stale
            }
            Err(e) => return Err(e),
        },
        None => key_fetches::fetch(state, &sig.key_id, Share::Recent).await?,
    };
    sig.verify(&signer.key).map_err(|e| {
        InboundError::Unauthorized(format!(
            "signature does not verify with key {}: {e}",
            sig.key_id
        ))
    })?;
    Ok(signer)
}
