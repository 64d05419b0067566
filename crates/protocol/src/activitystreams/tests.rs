//! Real-world payload shapes from the servers pkgfed federates with.
//!
//! The fixtures under `fixtures/` follow each implementation's wire format
//! (property order, contexts, nulls, extension fields); hosts are `.example`.

#![allow(clippy::unwrap_used)]

use serde_json::Value;

use super::*;

fn fixture(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn actor(json: &str) -> RemoteActor {
    RemoteActor::from_json(&fixture(json)).unwrap()
}

fn activity(json: &str) -> ActivityEnvelope {
    ActivityEnvelope::from_json(&fixture(json)).unwrap()
}

#[test]
fn public_has_three_spellings() {
    assert!(is_public("https://www.w3.org/ns/activitystreams#Public"));
    assert!(is_public("as:Public"));
    assert!(is_public("Public"));
    assert!(!is_public("https://www.w3.org/ns/activitystreams#public"));
    assert!(!is_public("https://mastodon.example/users/alice/followers"));
    assert!(!is_public(""));
}

#[test]
fn mastodon_actor() {
    let actor = actor(include_str!("fixtures/mastodon_actor.json"));
    assert_eq!(actor.id.as_str(), "https://mastodon.example/users/alice");
    assert_eq!(actor.kind, "Person");
    assert_eq!(
        actor.inbox.as_str(),
        "https://mastodon.example/users/alice/inbox"
    );
    assert_eq!(
        actor.shared_inbox.as_ref().map(|url| url.as_str()),
        Some("https://mastodon.example/inbox")
    );
    assert_eq!(actor.preferred_username.as_deref(), Some("alice"));
    assert_eq!(actor.keys.len(), 1);
    let key = actor
        .key("https://mastodon.example/users/alice#main-key")
        .unwrap();
    assert_eq!(
        key.owner.as_deref(),
        Some("https://mastodon.example/users/alice")
    );
    assert!(key.pem.starts_with("-----BEGIN PUBLIC KEY-----\nMIIBIjAN"));
    assert!(key.pem.ends_with("-----END PUBLIC KEY-----\n"));
}

#[test]
fn gotosocial_actor_with_key_at_its_own_path() {
    let actor = actor(include_str!("fixtures/gotosocial_actor.json"));
    assert_eq!(actor.id.as_str(), "https://gts.example/users/bob");
    assert!(
        actor.shared_inbox.is_none(),
        "GoToSocial publishes no endpoints"
    );
    let key = actor.key("https://gts.example/users/bob/main-key").unwrap();
    assert_eq!(key.owner.as_deref(), Some("https://gts.example/users/bob"));
}

#[test]
fn misskey_actor_with_top_level_shared_inbox() {
    let mut value = fixture(include_str!("fixtures/misskey_actor.json"));
    let actor = RemoteActor::from_json(&value).unwrap();
    assert_eq!(actor.preferred_username.as_deref(), Some("carol"));
    assert!(
        actor
            .key("https://misskey.example/users/9h2k4m6n8p#main-key")
            .is_some()
    );
    assert_eq!(
        actor.shared_inbox.as_ref().map(|url| url.as_str()),
        Some("https://misskey.example/inbox")
    );
    // Without `endpoints`, Misskey's top-level `sharedInbox` still counts.
    value.as_object_mut().unwrap().remove("endpoints");
    let actor = RemoteActor::from_json(&value).unwrap();
    assert_eq!(
        actor.shared_inbox.as_ref().map(|url| url.as_str()),
        Some("https://misskey.example/inbox")
    );
}

#[test]
fn akkoma_actor_with_many_endpoints() {
    let actor = actor(include_str!("fixtures/akkoma_actor.json"));
    assert_eq!(
        actor.shared_inbox.as_ref().map(|url| url.as_str()),
        Some("https://akkoma.example/inbox")
    );
    assert!(
        actor
            .key("https://akkoma.example/users/erin#main-key")
            .is_some()
    );
}

#[test]
fn actor_with_public_key_array_and_multikey() {
    let actor = actor(include_str!("fixtures/fedify_actor_key_array.json"));
    assert_eq!(actor.kind, "Service", "type given as an array");
    let ids: Vec<&str> = actor.keys.iter().map(|key| key.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "https://fedify.example/users/dave#main-key",
            "https://fedify.example/users/dave#old-key",
            "https://fedify.example/users/dave#ed25519-key",
        ]
    );
    assert_ne!(actor.keys[0].pem, actor.keys[1].pem);
    let ed25519 = actor
        .key("https://fedify.example/users/dave#ed25519-key")
        .unwrap();
    assert_eq!(
        ed25519.owner.as_deref(),
        Some("https://fedify.example/users/dave")
    );
    assert!(ed25519.pem.contains("MCowBQYDK2VwAyEA"));
    // Several keys: the bare actor id does not pick one.
    assert!(actor.key("https://fedify.example/users/dave").is_none());
}

#[test]
fn misskey_follow_with_object_as_string() {
    let follow = activity(include_str!("fixtures/misskey_follow.json"));
    assert_eq!(follow.kind, "Follow");
    assert_eq!(
        follow.actor.as_str(),
        "https://misskey.example/users/9h2k4m6n8p"
    );
    assert_eq!(
        follow.object_id(),
        Some("https://pkgfed.example/packages/crates/serde")
    );
    assert_eq!(follow.object_kind(), None);
    assert!(
        follow.to.is_empty(),
        "Misskey sends Follow without addressing"
    );
}

#[test]
fn mastodon_undo_follow_with_embedded_object() {
    let undo = activity(include_str!("fixtures/mastodon_undo_follow.json"));
    assert_eq!(undo.kind, "Undo");
    assert_eq!(undo.id.fragment(), Some("follows/31337/undo"));
    assert_eq!(undo.object_kind(), Some("Follow"));
    assert_eq!(
        undo.object_id(),
        Some("https://mastodon.example/3f9c2a1e-7b64-4d1a-9f0e-2c5d8b7a6e41")
    );
    // The inner Follow parses as an envelope of its own.
    let follow = ActivityEnvelope::from_json(&undo.object).unwrap();
    assert_eq!(follow.actor, undo.actor);
    assert_eq!(
        follow.object_id(),
        Some("https://pkgfed.example/packages/npm/left-pad")
    );
}

#[test]
fn mastodon_create_with_addressing_arrays() {
    let create = activity(include_str!("fixtures/mastodon_create_note.json"));
    assert_eq!(create.to, [PUBLIC]);
    assert_eq!(
        create.cc,
        [
            "https://mastodon.example/users/alice/followers",
            "https://pkgfed.example/packages/crates/serde",
        ]
    );
    assert!(create.is_public());
    assert_eq!(create.object_kind(), Some("Note"));
}

#[test]
fn pleroma_announce_with_addressing_strings_and_actor_object() {
    let announce = activity(include_str!("fixtures/pleroma_announce.json"));
    assert_eq!(announce.actor.as_str(), "https://akkoma.example/users/erin");
    assert_eq!(announce.to, ["as:Public"]);
    assert_eq!(announce.cc, ["https://akkoma.example/users/erin/followers"]);
    assert!(announce.is_public());
    assert_eq!(
        announce.object_id(),
        Some("https://pkgfed.example/packages/crates/serde/releases/1.0.229")
    );
}
