//! References that are either a bare IRI or an embedded object with an `id`.
//!
//! `"actor": "https://..."` and `"actor": {"id": "https://...", "type": "Person"}`
//! mean the same thing; so do `"to": "..."` and `"to": ["...", {"id": "..."}]`.
//! These helpers read the ids without caring which form was used.

use serde_json::Value;
use url::Url;

/// string-or-object reference: returns the id of a value that's either "https://..." or {"id": "..."} (or an array → first)
///
/// For an array, the first element that has an id. Empty strings count as no id.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(id) => Some(id.as_str()).filter(|id| !id.is_empty()),
        Value::Object(object) => object
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty()),
        Value::Array(items) => items.iter().find_map(id_of),
        _ => None,
    }
}

/// All ids in an addressing property (`to`, `cc`, ...): a string, an object with
/// an `id`, or an array of those. Elements without an id are skipped; absent or
/// `null` gives an empty list.
pub fn ids_of(value: &Value) -> Vec<&str> {
    match value {
        Value::Array(items) => items.iter().filter_map(id_of).collect(),
        other => id_of(other).into_iter().collect(),
    }
}

/// The `type` of an object: a string, or the first string of an array
/// (JSON-LD allows several types, e.g. `["Person", "schema:Person"]`).
pub(crate) fn kind_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(kind) => Some(kind.as_str()),
        Value::Array(kinds) => kinds.iter().find_map(Value::as_str),
        _ => None,
    }
    .filter(|kind| !kind.is_empty())
}

/// Parses an id that must be an absolute http(s) URL with a host.
pub(crate) fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` is not an http(s) URL"));
    }
    if url.host().is_none() {
        return Err(format!("`{text}` has no host"));
    }
    Ok(url)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn id_of_string_object_and_array() {
        assert_eq!(
            id_of(&json!("https://a.example/u")),
            Some("https://a.example/u")
        );
        assert_eq!(
            id_of(&json!({"id": "https://a.example/u", "type": "Person"})),
            Some("https://a.example/u")
        );
        assert_eq!(
            id_of(
                &json!([{"type": "Person"}, "https://a.example/first", "https://a.example/second"])
            ),
            Some("https://a.example/first")
        );
        assert_eq!(id_of(&json!({"type": "Person"})), None);
        assert_eq!(id_of(&json!({"id": 5})), None);
        assert_eq!(id_of(&json!("")), None);
        assert_eq!(id_of(&Value::Null), None);
        assert_eq!(id_of(&json!([])), None);
    }

    #[test]
    fn ids_of_addressing_forms() {
        assert_eq!(ids_of(&json!("as:Public")), ["as:Public"]);
        assert_eq!(
            ids_of(&json!([
                "https://www.w3.org/ns/activitystreams#Public",
                {"id": "https://a.example/u/followers", "type": "Collection"},
                {"type": "Mention"},
                42
            ])),
            [
                "https://www.w3.org/ns/activitystreams#Public",
                "https://a.example/u/followers"
            ]
        );
        assert_eq!(
            ids_of(&json!({"id": "https://a.example/u"})),
            ["https://a.example/u"]
        );
        assert!(ids_of(&Value::Null).is_empty());
        assert!(ids_of(&json!([])).is_empty());
    }

    #[test]
    fn kind_of_string_or_array() {
        assert_eq!(kind_of(&json!("Person")), Some("Person"));
        assert_eq!(kind_of(&json!(["Service", "Application"])), Some("Service"));
        assert_eq!(kind_of(&json!([])), None);
        assert_eq!(kind_of(&json!(7)), None);
        assert_eq!(kind_of(&json!("")), None);
    }

    #[test]
    fn http_url_accepts_only_http_and_https() {
        assert!(http_url("https://a.example/u").is_ok());
        assert!(http_url("http://a.example/u").is_ok());
        assert!(
            http_url("ftp://a.example/u")
                .unwrap_err()
                .contains("not an http(s) URL")
        );
        assert!(http_url("acct:alice@a.example").is_err());
        assert!(http_url("/relative").unwrap_err().contains("not a URL"));
    }
}
