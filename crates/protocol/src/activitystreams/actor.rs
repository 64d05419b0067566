//! Remote actor documents: who they are, where their inbox is, which keys they own.
//!
//! Parsed from `serde_json::Value` by hand rather than derived, because each
//! implementation shapes the document a little differently (Mastodon, Misskey,
//! GoToSocial, Akkoma/Pleroma, Fedify) and a derive would reject the oddities
//! we want to tolerate. Required fields fail loudly and precisely; optional
//! ones that are malformed are dropped.
//!
//! This only reads the document. Checking that it came from the origin of its
//! `id`, and that a key's `owner` is the actor, is the caller's business.

use serde_json::Value;
use url::Url;

use super::multikey::ed25519_multibase_to_pem;
use super::reference::{http_url, id_of, kind_of};

/// A remote actor document, parsed leniently (Mastodon, GoToSocial, Misskey, Akkoma, Pleroma, Fedify shapes).
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteActor {
    /// The actor's id (an http(s) URL).
    pub id: Url,
    /// Its `type`: `Person`, `Service`, `Application`, `Group`, ...
    pub kind: String,
    /// Its personal inbox.
    pub inbox: Url,
    /// The server-wide inbox from `endpoints.sharedInbox` (or Misskey's
    /// top-level `sharedInbox`), when present and a valid http(s) URL.
    pub shared_inbox: Option<Url>,
    /// The username part of `@user@host`, when given.
    pub preferred_username: Option<String>,
    /// Keys from `publicKey` (object or array), then Ed25519 `Multikey`
    /// entries of `assertionMethod`. Entries without an id or key are skipped.
    pub keys: Vec<ActorKey>,
}

/// A public key published by an actor.
#[derive(Clone, Debug, PartialEq)]
pub struct ActorKey {
    /// The key id, as signatures name it in `keyId`.
    pub id: String,
    /// The `owner` (or Multikey `controller`) the document claims.
    pub owner: Option<String>,
    /// The key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub pem: String,
}

/// Why an actor document was rejected. The field names are the JSON ones.
#[derive(Debug, thiserror::Error)]
pub enum ActorParseError {
    /// A required property is absent (or has no usable value).
    #[error("actor document has no `{0}`")]
    MissingField(&'static str),
    /// A required property is present but unusable.
    #[error("actor document has an invalid `{field}`: {reason}")]
    InvalidField {
        /// The JSON property.
        field: &'static str,
        /// What was wrong with it.
        reason: String,
    },
}

impl RemoteActor {
    /// Reads an actor document. `id`, `type` and `inbox` are required; `id` and
    /// `inbox` must be http(s) URLs.
    pub fn from_json(value: &Value) -> Result<Self, ActorParseError> {
        let Value::Object(object) = value else {
            return Err(ActorParseError::InvalidField {
                field: "(document)",
                reason: "expected a JSON object".into(),
            });
        };
        let id = required_url(value, "id")?;
        let kind = match object.get("type") {
            None | Some(Value::Null) => return Err(ActorParseError::MissingField("type")),
            Some(kind) => kind_of(kind).ok_or_else(|| ActorParseError::InvalidField {
                field: "type",
                reason: "expected a string or an array of strings".into(),
            })?,
        };
        let inbox = required_url(value, "inbox")?;
        let shared_inbox = value
            .get("endpoints")
            .and_then(|endpoints| endpoints.get("sharedInbox"))
            .or_else(|| value.get("sharedInbox"))
            .and_then(id_of)
            .and_then(|text| http_url(text).ok());
        let preferred_username = value
            .get("preferredUsername")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        Ok(Self {
            id,
            kind: kind.to_owned(),
            inbox,
            shared_inbox,
            preferred_username,
            keys: keys_of(value),
        })
    }

    /// The key a signature's `keyId` names.
    ///
    /// Exact match first. Some servers sign with the actor id itself (or the id
    /// plus a fragment the document does not list); that is accepted only when
    /// the document has exactly one key, so there is no guessing between keys.
    pub fn key(&self, key_id: &str) -> Option<&ActorKey> {
        if let Some(key) = self.keys.iter().find(|key| key.id == key_id) {
            return Some(key);
        }
        let [only] = self.keys.as_slice() else {
            return None;
        };
        let mut named = Url::parse(key_id).ok()?;
        named.set_fragment(None);
        let mut actor = self.id.clone();
        actor.set_fragment(None);
        (named == actor).then_some(only)
    }
}

fn required_url(value: &Value, field: &'static str) -> Result<Url, ActorParseError> {
    let raw = value.get(field).filter(|raw| !raw.is_null());
    let text = id_of(raw.ok_or(ActorParseError::MissingField(field))?).ok_or_else(|| {
        ActorParseError::InvalidField {
            field,
            reason: "expected a URL string or an object with an `id`".into(),
        }
    })?;
    http_url(text).map_err(|reason| ActorParseError::InvalidField { field, reason })
}

fn keys_of(value: &Value) -> Vec<ActorKey> {
    let entries = |name: &str| -> Vec<&Value> {
        match value.get(name) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item @ Value::Object(_)) => vec![item],
            _ => Vec::new(),
        }
    };
    let text =
        |entry: &Value, name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);

    let pem_keys = entries("publicKey").into_iter().filter_map(|entry| {
        Some(ActorKey {
            id: text(entry, "id")?,
            owner: text(entry, "owner"),
            pem: text(entry, "publicKeyPem")?,
        })
    });
    let multikeys = entries("assertionMethod").into_iter().filter_map(|entry| {
        if kind_of(entry.get("type")?)? != "Multikey" {
            return None;
        }
        Some(ActorKey {
            id: text(entry, "id")?,
            owner: text(entry, "controller"),
            pem: ed25519_multibase_to_pem(entry.get("publicKeyMultibase")?.as_str()?)?,
        })
    });
    let mut keys: Vec<ActorKey> = Vec::new();
    for key in pem_keys.chain(multikeys) {
        // Fedify may list the same key under both properties.
        if !keys.iter().any(|known| known.id == key.id) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn minimal() -> Value {
        json!({
            "id": "https://a.example/users/u",
            "type": "Person",
            "inbox": "https://a.example/users/u/inbox"
        })
    }

    fn error_for(change: impl FnOnce(&mut Value)) -> ActorParseError {
        let mut value = minimal();
        change(&mut value);
        RemoteActor::from_json(&value).unwrap_err()
    }

    #[test]
    fn minimal_actor_parses_without_keys() {
        let actor = RemoteActor::from_json(&minimal()).unwrap();
        assert_eq!(actor.kind, "Person");
        assert!(actor.keys.is_empty());
        assert!(actor.shared_inbox.is_none());
        assert!(actor.preferred_username.is_none());
    }

    #[test]
    fn errors_name_the_field() {
        let error = error_for(|v| drop(v.as_object_mut().unwrap().remove("id")));
        assert!(
            matches!(error, ActorParseError::MissingField("id")),
            "{error:?}"
        );
        let error = error_for(|v| v["type"] = Value::Null);
        assert!(
            matches!(error, ActorParseError::MissingField("type")),
            "{error:?}"
        );
        let error = error_for(|v| v["type"] = json!(3));
        assert!(
            matches!(error, ActorParseError::InvalidField { field: "type", .. }),
            "{error:?}"
        );
        let error = error_for(|v| drop(v.as_object_mut().unwrap().remove("inbox")));
        assert!(
            matches!(error, ActorParseError::MissingField("inbox")),
            "{error:?}"
        );
        let error = error_for(|v| v["inbox"] = json!("ftp://a.example/inbox"));
        assert!(
            matches!(&error, ActorParseError::InvalidField { field: "inbox", reason } if reason.contains("http(s)")),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "actor document has an invalid `inbox`: `ftp://a.example/inbox` is not an http(s) URL"
        );
        let error = error_for(|v| v["id"] = json!(["not a url"]));
        assert!(
            matches!(error, ActorParseError::InvalidField { field: "id", .. }),
            "{error:?}"
        );
        let error = RemoteActor::from_json(&json!("https://a.example/users/u")).unwrap_err();
        assert!(matches!(
            error,
            ActorParseError::InvalidField {
                field: "(document)",
                ..
            }
        ));
    }

    #[test]
    fn malformed_optional_fields_are_dropped() {
        let mut value = minimal();
        value["endpoints"] = json!({"sharedInbox": "javascript:alert(1)"});
        value["preferredUsername"] = json!(42);
        value["publicKey"] = json!([{"id": "https://a.example/users/u#k"}, "https://a.example/k"]);
        let actor = RemoteActor::from_json(&value).unwrap();
        assert!(actor.shared_inbox.is_none());
        assert!(actor.preferred_username.is_none());
        assert!(actor.keys.is_empty());
    }

    #[test]
    fn key_lookup_exact_or_single_key_by_actor_id() {
        let mut value = minimal();
        value["publicKey"] = json!({
            "id": "https://a.example/users/u/main-key",
            "owner": "https://a.example/users/u",
            "publicKeyPem": "PEM"
        });
        let actor = RemoteActor::from_json(&value).unwrap();
        assert!(actor.key("https://a.example/users/u/main-key").is_some());
        assert!(actor.key("https://a.example/users/u").is_some());
        assert!(actor.key("https://a.example/users/u#main-key").is_some());
        assert!(
            actor
                .key("https://a.example/users/other#main-key")
                .is_none()
        );
        assert!(actor.key("https://a.example/users/u/other-key").is_none());
        assert!(actor.key("not a url").is_none());

        value["publicKey"] = json!([
            {"id": "https://a.example/users/u#one", "publicKeyPem": "ONE"},
            {"id": "https://a.example/users/u#two", "publicKeyPem": "TWO"}
        ]);
        let actor = RemoteActor::from_json(&value).unwrap();
        assert_eq!(
            actor.key("https://a.example/users/u#two").unwrap().pem,
            "TWO"
        );
        assert!(
            actor.key("https://a.example/users/u").is_none(),
            "two keys: no guessing"
        );
        assert!(actor.key("https://a.example/users/u#three").is_none());
    }
}
