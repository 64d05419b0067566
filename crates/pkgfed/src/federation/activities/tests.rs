//! The shapes of what pkgfed sends, as the integration tests (`follow.rs`,
//! `watch_scenario.rs`, `watch_registries.rs`, `delivery_backfill.rs`) and remote
//! servers read them.

use serde_json::json;

use super::*;

const ACTOR: &str = "https://pkgs.example.org/packages/serde";
const FOLLOWERS: &str = "https://pkgs.example.org/packages/serde/followers";

fn note() -> Note {
    let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
    Note {
        id: format!("{ACTOR}/releases/1.0.0"),
        actor: ACTOR.into(),
        followers: FOLLOWERS.into(),
        content: "<p>serde 1.0.0 released</p>".into(),
        url: format!("{ACTOR}/releases/1.0.0"),
        published: Some("2026-12-01T00:00:00Z".into()),
        tags: vec![Hashtag::new(&urls, "cargo")],
        attachment: vec![("Version".into(), "1.0.0".into())],
        ..Note::default()
    }
}

#[test]
fn a_note_is_public_to_the_followers_with_its_tags_and_properties() {
    let n = note().to_json();
    assert_eq!(n["type"], "Note");
    assert_eq!(n["attributedTo"], ACTOR);
    assert_eq!(n["to"], json!([FOLLOWERS]));
    assert_eq!(n["cc"], json!([PUBLIC]));
    assert_eq!(n["published"], "2026-12-01T00:00:00Z");
    assert_eq!(
        n["tag"],
        json!([{ "type": "Hashtag", "name": "#cargo", "href": "https://pkgs.example.org/tags/cargo" }])
    );
    assert_eq!(
        n["attachment"],
        json!([{ "type": "PropertyValue", "name": "Version", "value": "1.0.0" }])
    );
    // No content warning, reply or revision unless given.
    for key in ["summary", "sensitive", "inReplyTo", "updated"] {
        assert!(n.get(key).is_none(), "{key}");
    }
    let warned = Note {
        content_warning: Some("Security advisory: X".into()),
        in_reply_to: Some(format!("{ACTOR}/releases/0.9.0")),
        ..note()
    }
    .to_json();
    assert_eq!(warned["summary"], "Security advisory: X");
    assert_eq!(warned["sensitive"], true);
    assert_eq!(warned["inReplyTo"], format!("{ACTOR}/releases/0.9.0"));
}

#[test]
fn create_and_update_wrap_the_note_with_derived_ids() {
    let n = note().to_json();
    let c = create(&n);
    assert_eq!(c["type"], "Create");
    assert_eq!(c["id"], format!("{ACTOR}/releases/1.0.0#create"));
    assert_eq!(c["actor"], ACTOR);
    assert_eq!(c["to"], n["to"]);
    assert_eq!(c["cc"], n["cc"]);
    assert_eq!(c["object"], n);
    assert_eq!(c["@context"][0], "https://www.w3.org/ns/activitystreams");

    let mut revised = n.clone();
    revised["updated"] = json!("2026-12-02T00:00:00Z");
    let u = update(&revised, "deprecated");
    assert_eq!(u["type"], "Update");
    assert_eq!(u["id"], format!("{ACTOR}/releases/1.0.0#deprecated"));
    assert_eq!(u["published"], "2026-12-02T00:00:00Z");
    assert_eq!(u["object"], revised);
}

#[test]
fn delete_carries_a_tombstone_of_the_note() {
    let id = format!("{ACTOR}/releases/1.0.0");
    let d = delete(ACTOR, FOLLOWERS, &id, 1_700_000_000);
    assert_eq!(d["type"], "Delete");
    assert_eq!(d["id"], format!("{id}#delete"));
    assert_eq!(d["to"], json!([FOLLOWERS]));
    assert_eq!(d["cc"], json!([PUBLIC]));
    assert_eq!(
        d["object"],
        json!({ "id": id, "type": "Tombstone", "formerType": "Note", "deleted": "2023-11-14T22:13:20Z" })
    );
}

#[test]
fn accept_embeds_the_follow_and_has_one_id_per_follow() {
    let follow = json!({
        "id": "https://social.test/follows/1",
        "type": "Follow",
        "actor": "https://social.test/users/alice",
        "object": ACTOR,
    });
    let a = accept(ACTOR, &follow);
    assert_eq!(a["type"], "Accept");
    assert_eq!(a["actor"], ACTOR);
    assert_eq!(
        a["object"],
        json!({ "id": follow["id"], "type": "Follow", "actor": follow["actor"], "object": ACTOR })
    );
    assert!(
        a["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{ACTOR}#accepts/follows/"))
    );
    assert_eq!(a["id"], accept(ACTOR, &follow)["id"]);
    let other = json!({ "id": "https://social.test/follows/2", "actor": follow["actor"] });
    assert_ne!(a["id"], accept(ACTOR, &other)["id"]);
}

#[test]
fn actor_update_carries_the_new_document() {
    let doc = json!({ "id": ACTOR, "type": "Application" });
    let u = actor_update(ACTOR, FOLLOWERS, doc.clone(), "abc");
    assert_eq!(u["type"], "Update");
    assert_eq!(u["id"], format!("{ACTOR}#updates/abc"));
    assert_eq!(u["to"], json!([FOLLOWERS]));
    assert_eq!(u["object"], doc);
}

#[test]
fn hashtag_paragraph_links_each_tag_as_mastodon_renders_it() {
    let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
    let p = hashtag_paragraph(&[Hashtag::new(&urls, "cargo"), Hashtag::new(&urls, "serde")]);
    assert_eq!(
        p,
        r##"<p><a href="https://pkgs.example.org/tags/cargo" class="mention hashtag" rel="tag">#<span>cargo</span></a> <a href="https://pkgs.example.org/tags/serde" class="mention hashtag" rel="tag">#<span>serde</span></a></p>"##
    );
}
