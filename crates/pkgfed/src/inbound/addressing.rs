//! Step 5: which local actors an activity is for.
//!
//! A package actor is a recipient when the activity was posted to its inbox, names it
//! (or its followers collection) in `to`/`cc`/`bto`/`bcc`/`audience`, or is the
//! activity's object (a Follow names the followed actor only there).

use pkgfed_protocol::activitystreams::{ActivityEnvelope, id_of};

use crate::federation::urls::Urls;

/// Local package actor ids the activity is addressed to, without duplicates.
pub fn local_recipients(
    urls: &Urls,
    activity: &ActivityEnvelope,
    inbox_of: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |id: String| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    if let Some(handle) = inbox_of {
        add(urls.actor(handle));
    }
    let object = id_of(&activity.object);
    for iri in activity
        .to
        .iter()
        .chain(activity.cc.iter())
        .map(String::as_str)
        .chain(object)
    {
        let iri = iri.strip_suffix("/followers").unwrap_or(iri);
        if let Some(handle) = urls.handle_of_actor(iri) {
            add(urls.actor(&handle));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_local_actors_in_addressing_and_object() {
        let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
        let follow = ActivityEnvelope::from_json(&json!({
            "id": "https://a.example/f/1", "type": "Follow", "actor": "https://a.example/users/a",
            "object": "https://pkgs.example.org/packages/serde"
        }))
        .unwrap();
        assert_eq!(
            local_recipients(&urls, &follow, None),
            vec!["https://pkgs.example.org/packages/serde"]
        );
        let note = ActivityEnvelope::from_json(&json!({
            "id": "https://a.example/c/1", "type": "Create", "actor": "https://a.example/users/a",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://pkgs.example.org/packages/log/followers", "https://a.example/users/a/followers"],
            "object": {"id": "https://a.example/n/1", "type": "Note"}
        }))
        .unwrap();
        assert_eq!(
            local_recipients(&urls, &note, Some("serde")),
            vec![
                "https://pkgs.example.org/packages/serde",
                "https://pkgs.example.org/packages/log"
            ]
        );
    }
}
