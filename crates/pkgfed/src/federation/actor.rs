//! Actor documents: package actors and the instance actor.

use serde_json::{Value, json};

use super::html::{escape, link};
use super::rfc3339;
use super::urls::Urls;
use crate::store::Package;

/// The JSON-LD context of actor documents: ActivityStreams, security (public keys)
/// and the Mastodon/schema.org terms the document uses.
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

fn property(name: &str, value_html: String) -> Value {
    json!({ "type": "PropertyValue", "name": name, "value": value_html })
}

/// The actor document of a package.
pub fn package_actor(urls: &Urls, actor_type: &str, package: &Package) -> Value {
    let id = urls.actor(&package.handle);
    let name = package
        .meta
        .display_name
        .clone()
        .unwrap_or_else(|| package.name.clone());
    let summary = match &package.meta.description {
        Some(d) => format!("<p>{}</p>", escape(d)),
        None => format!(
            "<p>Releases of the {} package {}.</p>",
            package.ecosystem,
            escape(&package.name)
        ),
    };
    let mut attachment = vec![
        property("Ecosystem", escape(package.ecosystem.as_str())),
        property("Package URL", escape(&package.purl)),
    ];
    for (label, value) in [
        ("Homepage", &package.meta.homepage),
        ("Repository", &package.meta.repository),
        ("Licence", &package.meta.license),
    ] {
        if let Some(v) = value {
            attachment.push(property(label, link(v)));
        }
    }
    json!({
        "@context": actor_context(),
        "id": id,
        "type": actor_type,
        "preferredUsername": package.handle,
        "name": name,
        "summary": summary,
        "url": id,
        "inbox": urls.actor_sub(&package.handle, "inbox"),
        "outbox": urls.actor_sub(&package.handle, "outbox"),
        "followers": urls.actor_sub(&package.handle, "followers"),
        "following": urls.actor_sub(&package.handle, "following"),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": urls.key_id(&package.handle),
            "owner": id,
            "publicKeyPem": package.public_key_pem,
        },
        "attachment": attachment,
        "discoverable": true,
        "indexable": true,
        "manuallyApprovesFollowers": false,
        "published": rfc3339(package.created_at),
    })
}

/// The instance actor: it signs pkgfed's outbound GETs so servers that require
/// authorized fetches answer them. Its username is the host, as Mastodon's is.
pub fn instance_actor(urls: &Urls, public_key_pem: &str) -> Value {
    let id = urls.instance_actor();
    json!({
        "@context": actor_context(),
        "id": id,
        "type": "Application",
        "preferredUsername": urls.host(),
        "name": "pkgfed",
        "summary": "<p>The instance actor of this pkgfed server. Follow its packages instead.</p>",
        "url": urls.base(),
        "inbox": urls.shared_inbox(),
        "outbox": urls.at("/actor/outbox"),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": urls.instance_key_id(),
            "owner": id,
            "publicKeyPem": public_key_pem,
        },
        "manuallyApprovesFollowers": true,
        "discoverable": false,
        "indexable": false,
    })
}
