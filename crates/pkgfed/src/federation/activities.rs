//! Every activity pkgfed sends and the Note skeleton its posts share, built from
//! typed parts in one place: `Note` (release and advisory posts), `Create`,
//! `Update` (of a Note or of a package actor), `Delete` of a `Tombstone`, and
//! `Accept` of a Follow. Actor documents are in [`super::actor`].
//!
//! Ids are derived from the object's id, so building the same activity twice gives
//! the same id and the durable queue ignores the repeat.

use serde_json::{Value, json};

use super::html::escape;
use super::rfc3339_opt;
use super::urls::Urls;

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The JSON-LD context of post activities: ActivityStreams plus the terms Notes use
/// (hashtags, content warnings, property values).
pub fn post_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "Hashtag": "as:Hashtag",
            "sensitive": "as:sensitive",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// A hashtag of a post, linked to the instance's tag page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hashtag {
    /// Without `#`: ASCII letters, digits and `_`.
    pub name: String,
    /// The tag page.
    pub href: String,
}

impl Hashtag {
    /// The tag `name` (already normalised, see `crate::posts::release::hashtag`).
    pub fn new(urls: &Urls, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            href: urls.at(&format!("/tags/{name}")),
        }
    }

    fn to_json(&self) -> Value {
        json!({ "type": "Hashtag", "name": format!("#{}", self.name), "href": self.href })
    }
}

/// The hashtags as links, one paragraph, in the form Mastodon renders.
pub fn hashtag_paragraph(tags: &[Hashtag]) -> String {
    let links: Vec<String> = tags
        .iter()
        .map(|t| {
            format!(
                r##"<a href="{}" class="mention hashtag" rel="tag">#<span>{}</span></a>"##,
                escape(&t.href),
                t.name
            )
        })
        .collect();
    format!("<p>{}</p>", links.join(" "))
}

/// A public post of a package actor, addressed to its followers.
#[derive(Clone, Debug, Default)]
pub struct Note {
    /// The Note's id.
    pub id: String,
    /// The package actor posting it.
    pub actor: String,
    /// The actor's followers collection (`to`).
    pub followers: String,
    /// A content warning (`summary`, with `sensitive: true`).
    pub content_warning: Option<String>,
    /// HTML content (already escaped).
    pub content: String,
    /// The page it links to.
    pub url: String,
    /// When it was published (RFC 3339).
    pub published: Option<String>,
    /// When it was last revised (RFC 3339).
    pub updated: Option<String>,
    /// The post it replies to.
    pub in_reply_to: Option<String>,
    /// Its hashtags (also linked in `content`, see [`hashtag_paragraph`]).
    pub tags: Vec<Hashtag>,
    /// `PropertyValue` attachments: name and plain-text value.
    pub attachment: Vec<(String, String)>,
}

impl Note {
    /// The Note as ActivityStreams JSON (no `@context`: it travels in an activity).
    pub fn to_json(&self) -> Value {
        let mut note = json!({
            "id": self.id,
            "type": "Note",
            "attributedTo": self.actor,
            "to": [self.followers],
            "cc": [PUBLIC],
            "content": self.content,
            "url": self.url,
            "tag": self.tags.iter().map(Hashtag::to_json).collect::<Vec<_>>(),
            "attachment": self
                .attachment
                .iter()
                .map(|(name, value)| json!({ "type": "PropertyValue", "name": name, "value": value }))
                .collect::<Vec<_>>(),
        });
        let optional = [
            ("summary", self.content_warning.as_ref()),
            ("inReplyTo", self.in_reply_to.as_ref()),
            ("published", self.published.as_ref()),
            ("updated", self.updated.as_ref()),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                note[key] = Value::String(v.clone());
            }
        }
        if self.content_warning.is_some() {
            note["sensitive"] = Value::Bool(true);
        }
        note
    }
}

/// An activity's time: RFC 3339, or "" for a time without that form.
fn datetime(unix: i64) -> String {
    rfc3339_opt(unix).unwrap_or_default()
}

fn wrap(kind: &str, id: String, note: &Value, object: Value) -> Value {
    json!({
        "@context": post_context(),
        "id": id,
        "type": kind,
        "actor": note["attributedTo"],
        "to": note["to"],
        "cc": note["cc"],
        "published": note["published"],
        "object": object,
    })
}

/// `Create{Note}`: id `<note>#create`.
pub fn create(note: &Value) -> Value {
    let id = format!("{}#create", note["id"].as_str().unwrap_or_default());
    wrap("Create", id, note, note.clone())
}

/// `Update{Note}` with the revised note: id `<note>#<reason>` (unique per revision).
pub fn update(note: &Value, reason: &str) -> Value {
    let id = format!("{}#{reason}", note["id"].as_str().unwrap_or_default());
    let mut a = wrap("Update", id, note, note.clone());
    a["published"] = note.get("updated").cloned().unwrap_or(Value::Null);
    a
}

/// The `Tombstone` left by a deleted Note.
pub fn tombstone(note_id: &str, deleted_unix: i64) -> Value {
    json!({ "id": note_id, "type": "Tombstone", "formerType": "Note", "deleted": datetime(deleted_unix) })
}

/// `Delete{Tombstone}` of a post by `actor`, to its `followers`: id `<note>#delete`.
pub fn delete(actor: &str, followers: &str, note_id: &str, now_unix: i64) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}#delete"),
        "type": "Delete",
        "actor": actor,
        "to": [followers],
        "cc": [PUBLIC],
        "published": datetime(now_unix),
        "object": tombstone(note_id, now_unix),
    })
}

/// `Update` of a package actor (changed description, links or licence) with its new
/// document: id `<actor>#updates/<revision>`.
pub fn actor_update(actor: &str, followers: &str, actor_doc: Value, revision: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}#updates/{revision}"),
        "type": "Update",
        "actor": actor,
        "to": [followers],
        "cc": [PUBLIC],
        "object": actor_doc,
    })
}

/// `Accept{Follow}` by `actor`. The Follow is embedded (Mastodon matches the Accept
/// to its pending follow by the embedded Follow's id). Its id derives from the
/// Follow's, so a redelivered Follow queues the same Accept once.
pub fn accept(actor: &str, follow: &Value) -> Value {
    let follow_id = follow.get("id").and_then(Value::as_str).unwrap_or_default();
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!(
            "{actor}#accepts/follows/{}",
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, follow_id.as_bytes())
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

#[cfg(test)]
mod tests;
