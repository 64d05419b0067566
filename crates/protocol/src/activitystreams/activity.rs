//! The envelope of an inbound activity: the fields pkgfed checks before it
//! looks at what the activity means.
//!
//! The inbox handler validates the envelope (the `actor` must be the signer,
//! the `id` must share its origin, ...), then dispatches on `kind` and reads
//! `object` itself, since its shape depends on the activity type.

use serde_json::Value;
use url::Url;

use super::is_public;
use super::reference::{http_url, id_of, ids_of, kind_of};

/// Inbound activity envelope fields pkgfed validates.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEnvelope {
    /// The activity's id (an http(s) URL).
    pub id: Url,
    /// Its `type` (`Follow`, `Undo`, `Create`, ...); the first one if several.
    pub kind: String,
    /// Who performed it: the id of `actor`, whether a string or an embedded
    /// object.
    pub actor: Url,
    /// The `object`, as sent: a string id, an embedded object, or
    /// `Value::Null` when absent.
    pub object: Value,
    /// Ids from `to`, in document order; may contain `as:Public` spellings.
    pub to: Vec<String>,
    /// Ids from `cc`.
    pub cc: Vec<String>,
    /// Ids from `bto` (should have been stripped before delivery, but some
    /// servers leave it).
    pub bto: Vec<String>,
    /// Ids from `bcc`.
    pub bcc: Vec<String>,
    /// Ids from `audience`.
    pub audience: Vec<String>,
}

/// Why an activity was rejected. The field names are the JSON ones.
#[derive(Debug, thiserror::Error)]
pub enum ActivityParseError {
    /// A required property is absent (or has no usable value).
    #[error("activity has no `{0}`")]
    MissingField(&'static str),
    /// A required property is present but unusable.
    #[error("activity has an invalid `{field}`: {reason}")]
    InvalidField {
        /// The JSON property.
        field: &'static str,
        /// What was wrong with it.
        reason: String,
    },
}

impl ActivityEnvelope {
    /// Reads the envelope. `id`, `type` and `actor` are required, `id` and
    /// `actor` must be http(s) URLs; `object` may be absent.
    pub fn from_json(value: &Value) -> Result<Self, ActivityParseError> {
        if !value.is_object() {
            return Err(ActivityParseError::InvalidField {
                field: "(document)",
                reason: "expected a JSON object".into(),
            });
        }
        let present = |field: &'static str| {
            value
                .get(field)
                .filter(|raw| !raw.is_null())
                .ok_or(ActivityParseError::MissingField(field))
        };
        let id = required_url(present("id")?, "id")?;
        let kind = kind_of(present("type")?).ok_or_else(|| ActivityParseError::InvalidField {
            field: "type",
            reason: "expected a string or an array of strings".into(),
        })?;
        let actor = required_url(present("actor")?, "actor")?;
        let addressed = |field: &str| -> Vec<String> {
            value
                .get(field)
                .map(|raw| ids_of(raw).into_iter().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        Ok(Self {
            id,
            kind: kind.to_owned(),
            actor,
            object: value.get("object").cloned().unwrap_or(Value::Null),
            to: addressed("to"),
            cc: addressed("cc"),
            bto: addressed("bto"),
            bcc: addressed("bcc"),
            audience: addressed("audience"),
        })
    }

    /// The id of `object`, whether it was sent as a string or embedded.
    pub fn object_id(&self) -> Option<&str> {
        id_of(&self.object)
    }

    /// The `type` of an embedded `object` (e.g. `Follow` inside an `Undo`);
    /// `None` when the object is a bare id.
    pub fn object_kind(&self) -> Option<&str> {
        kind_of(self.object.get("type")?)
    }

    /// Every addressed id: `to`, `cc`, `bto`, `bcc`, then `audience`.
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        [&self.to, &self.cc, &self.bto, &self.bcc, &self.audience]
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Whether the activity is addressed to the public collection, in any spelling.
    pub fn is_public(&self) -> bool {
        self.recipients().any(is_public)
    }
}

fn required_url(raw: &Value, field: &'static str) -> Result<Url, ActivityParseError> {
    let text = id_of(raw).ok_or_else(|| ActivityParseError::InvalidField {
        field,
        reason: "expected a URL string or an object with an `id`".into(),
    })?;
    http_url(text).map_err(|reason| ActivityParseError::InvalidField { field, reason })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> Result<ActivityEnvelope, ActivityParseError> {
        ActivityEnvelope::from_json(&value)
    }

    #[test]
    fn required_fields_are_reported_by_name() {
        let error = parse(json!({"type": "Follow", "actor": "https://a.example/u"})).unwrap_err();
        assert!(
            matches!(error, ActivityParseError::MissingField("id")),
            "{error:?}"
        );
        let error = parse(json!({"id": "https://a.example/1", "actor": "https://a.example/u"}))
            .unwrap_err();
        assert!(
            matches!(error, ActivityParseError::MissingField("type")),
            "{error:?}"
        );
        let error = parse(json!({"id": "https://a.example/1", "type": "Follow", "actor": null}))
            .unwrap_err();
        assert!(
            matches!(error, ActivityParseError::MissingField("actor")),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "activity has no `actor`");
    }

    #[test]
    fn invalid_fields_say_why() {
        let error =
            parse(json!({"id": "urn:uuid:1", "type": "Follow", "actor": "https://a.example/u"}))
                .unwrap_err();
        assert!(
            matches!(error, ActivityParseError::InvalidField { field: "id", .. }),
            "{error:?}"
        );
        let error =
            parse(json!({"id": "https://a.example/1", "type": {}, "actor": "https://a.example/u"}))
                .unwrap_err();
        assert!(
            matches!(
                error,
                ActivityParseError::InvalidField { field: "type", .. }
            ),
            "{error:?}"
        );
        let error = parse(
            json!({"id": "https://a.example/1", "type": "Follow", "actor": {"type": "Person"}}),
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                ActivityParseError::InvalidField { field: "actor", .. }
            ),
            "{error:?}"
        );
        let error = parse(json!([])).unwrap_err();
        assert!(matches!(
            error,
            ActivityParseError::InvalidField {
                field: "(document)",
                ..
            }
        ));
    }

    #[test]
    fn type_array_takes_the_first_and_object_may_be_absent() {
        let activity = parse(json!({
            "id": "https://a.example/1",
            "type": ["Delete", "as:Delete"],
            "actor": "https://a.example/u"
        }))
        .unwrap();
        assert_eq!(activity.kind, "Delete");
        assert_eq!(activity.object, Value::Null);
        assert_eq!(activity.object_id(), None);
        assert_eq!(activity.object_kind(), None);
        assert!(activity.to.is_empty() && activity.cc.is_empty());
        assert!(!activity.is_public());
    }

    #[test]
    fn addressing_as_string_array_or_objects_and_public_forms() {
        let activity = parse(json!({
            "id": "https://a.example/1",
            "type": "Create",
            "actor": "https://a.example/u",
            "to": "https://a.example/u/followers",
            "cc": [{"id": "https://b.example/v", "type": "Person"}, "Public"],
            "bcc": "https://c.example/w",
            "audience": ["https://a.example/groups/g"]
        }))
        .unwrap();
        assert_eq!(activity.to, ["https://a.example/u/followers"]);
        assert_eq!(activity.cc, ["https://b.example/v", "Public"]);
        assert_eq!(activity.bcc, ["https://c.example/w"]);
        assert_eq!(activity.recipients().count(), 5);
        assert!(activity.is_public());
    }
}
