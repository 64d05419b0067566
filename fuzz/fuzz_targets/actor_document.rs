//! A remote actor document, as fetched for a signature's `keyId` or an
//! activity's `actor`: the actor, its inboxes and its keys (PEM and Multikey).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_protocol::activitystreams::RemoteActor;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(actor) = RemoteActor::from_json(&json) {
        let key_id = format!("{}#main-key", actor.id);
        let _ = actor.key(&key_id);
        let _ = actor.key(actor.id.as_str());
    }
});
