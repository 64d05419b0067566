//! NodeInfo 2.1 and its discovery document, and host-meta.

use serde_json::{Value, json};

use super::urls::Urls;
use crate::store::Counts;

/// The NodeInfo 2.1 schema URL (the discovery `rel`).
pub const NODEINFO_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

/// `/.well-known/nodeinfo`.
pub fn discovery(urls: &Urls) -> Value {
    json!({ "links": [ { "rel": NODEINFO_21, "href": urls.at("/nodeinfo/2.1") } ] })
}

/// The NodeInfo 2.1 document. Package actors count as users; outbox activities as
/// local posts.
pub fn document(counts: &Counts, ecosystems: &[pkgfed_registries::Ecosystem]) -> Value {
    json!({
        "version": "2.1",
        "software": {
            "name": "pkgfed",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": false,
        "usage": {
            "users": { "total": counts.packages, "activeMonth": counts.packages, "activeHalfyear": counts.packages },
            "localPosts": counts.outbox,
        },
        "metadata": {
            "ecosystems": ecosystems.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "followers": counts.distinct_followers,
        },
    })
}

/// `/.well-known/host-meta` (XRD) pointing at WebFinger.
pub fn host_meta(urls: &Urls) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n",
        super::html::escape(urls.base())
    )
}
