//! The documents pkgfed serves to other fediverse servers, independent of HTTP:
//! actors, collections, WebFinger, NodeInfo and host-meta.

pub mod actor;
pub mod collections;
pub mod html;
pub mod nodeinfo;
pub mod urls;
pub mod webfinger;

/// Format Unix seconds as an RFC 3339 / ActivityStreams `xsd:dateTime` (UTC).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
