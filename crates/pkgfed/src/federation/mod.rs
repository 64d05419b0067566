//! The documents pkgfed serves and sends to other fediverse servers, independent of
//! HTTP: actors, the activities and Notes pkgfed emits ([`activities`]),
//! collections, WebFinger, NodeInfo and host-meta.

pub mod activities;
pub mod actor;
pub mod collections;
pub mod domain_policy;
pub mod html;
pub mod nodeinfo;
pub mod urls;
pub mod webfinger;

/// Format Unix seconds as an RFC 3339 / ActivityStreams `xsd:dateTime` (UTC).
pub fn rfc3339(unix: i64) -> String {
    rfc3339_opt(unix).unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// As [`rfc3339`]; None for a time that has no RFC 3339 form (posts then say "").
pub fn rfc3339_opt(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}
