//! Step 4: the activity has what pkgfed needs, and its actor is the key's owner.

use pkgfed_protocol::activitystreams::ActivityEnvelope;
use serde_json::Value;

use super::signer::Signer;
use crate::inbound::error::{InboundError, Result};

/// Reads the envelope (400 when a required field is missing or not http(s)) and
/// checks that the signer speaks for the activity's actor (401 otherwise).
pub fn validate(json: &Value, signer: &Signer) -> Result<ActivityEnvelope> {
    let activity = ActivityEnvelope::from_json(json)
        .map_err(|e| InboundError::BadRequest(format!("invalid activity: {e}")))?;
    if activity.actor.as_str() != signer.actor_id {
        return Err(InboundError::Unauthorized(format!(
            "activity actor {} is not the owner of key {} ({})",
            activity.actor, signer.key_id, signer.actor_id
        )));
    }
    Ok(activity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signer(actor: &str) -> Signer {
        let key = pkgfed_protocol::keys::Ed25519PrivateKey::generate().unwrap();
        Signer {
            key_id: format!("{actor}#main-key"),
            actor_id: actor.into(),
            inbox: format!("{actor}/inbox"),
            shared_inbox: None,
            pem: key.public_key_pem(),
            key: key.public_key(),
            fetched_at: 0,
            fresh: false,
        }
    }

    #[test]
    fn actor_must_own_the_key() {
        let a = json!({"id":"https://a.example/1","type":"Follow","actor":"https://a.example/users/a","object":"https://p.example/packages/serde"});
        assert!(validate(&a, &signer("https://a.example/users/a")).is_ok());
        assert!(matches!(
            validate(&a, &signer("https://a.example/users/b")),
            Err(InboundError::Unauthorized(_))
        ));
    }

    #[test]
    fn missing_fields_are_bad_requests() {
        let s = signer("https://a.example/users/a");
        for bad in [
            json!({"type":"Follow","actor":"https://a.example/users/a"}),
            json!({"id":"https://a.example/1","actor":"https://a.example/users/a"}),
            json!({"id":"ftp://a.example/1","type":"Follow","actor":"https://a.example/users/a"}),
            json!({"id":"https://a.example/1","type":"Follow"}),
        ] {
            assert!(
                matches!(validate(&bad, &s), Err(InboundError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
