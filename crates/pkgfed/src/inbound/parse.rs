//! Step 1: the body is an ActivityStreams JSON object of acceptable size and type.
//!
//! The size limit itself is enforced while the body is read (the web layer reads at
//! most the limit and answers 413 via [`too_large`]); here the content type, the
//! JSON's shape ([`super::json_limits`]) and the JSON itself are checked.

use http::HeaderMap;
use serde_json::Value;

use crate::inbound::error::{InboundError, Result};
use crate::inbound::json_limits::{self, JsonLimits};
use crate::telemetry::metrics::RefusedReason;

/// The 413 error for a body over `limit` bytes.
pub fn too_large(limit: usize) -> InboundError {
    InboundError::PayloadTooLarge(limit)
}

/// Whether a `Content-Type` is one pkgfed accepts for activities:
/// `application/activity+json`, `application/ld+json` (any profile) or, as some
/// servers send, `application/json`.
pub fn is_activity_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/activity+json" | "application/ld+json" | "application/json"
    )
}

/// Checks the content type and parses the body as a JSON object within the default
/// [`JsonLimits`].
pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Value> {
    parse_within(headers, body, &JsonLimits::default())
}

/// Checks the content type, the JSON limits, and parses the body as a JSON object.
pub fn parse_within(headers: &HeaderMap, body: &[u8], limits: &JsonLimits) -> Result<Value> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_activity_content_type(content_type) {
        return Err(InboundError::UnsupportedMediaType(format!(
            "content type `{content_type}` is not accepted: send application/activity+json"
        )));
    }
    if let Err(e) = json_limits::check(body, limits) {
        RefusedReason::JsonLimits.count();
        return Err(e);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| InboundError::BadRequest(format!("body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(InboundError::BadRequest(
            "body must be a JSON object (an activity)".into(),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn accepts_activity_types_and_refuses_others() {
        let body = br#"{"type":"Follow"}"#;
        assert!(parse(&headers("application/activity+json"), body).is_ok());
        assert!(
            parse(
                &headers(r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#),
                body
            )
            .is_ok()
        );
        assert!(matches!(
            parse(&headers("text/plain"), body),
            Err(InboundError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            parse(&HeaderMap::new(), body),
            Err(InboundError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let h = headers("application/activity+json");
        assert!(matches!(
            parse(&h, b"{nope"),
            Err(InboundError::BadRequest(_))
        ));
        assert!(matches!(
            parse(&h, b"[1,2]"),
            Err(InboundError::BadRequest(_))
        ));
    }
}
