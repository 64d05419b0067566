//! An inbox POST body through the inbound pipeline's pure steps: parse (content
//! type and JSON object), validate (the activity envelope, its actor the
//! signer's), addressing (which local package actors it is for) and the
//! envelope helpers the handlers call. The signer is made to own whatever actor
//! the activity names, so inputs reach every step after parsing.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use pkgfed::federation::urls::Urls;
use pkgfed::inbound::{addressing::local_recipients, parse::parse, validate::validate};
use pkgfed_fuzz::inbound::{signer_for, urls};

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    let Ok(json) = parse(&headers, data) else {
        return;
    };
    let actor = json
        .get("actor")
        .and_then(|a| a.as_str())
        .unwrap_or("https://remote.test/users/alice");
    let signer = signer_for(actor);
    let Ok(activity) = validate(&json, &signer) else {
        return;
    };
    let urls: &Urls = urls();
    let _ = local_recipients(urls, &activity, None);
    let _ = local_recipients(urls, &activity, Some("serde"));
    let _ = activity.object_id();
    let _ = activity.object_kind();
    let _ = activity.is_public();
    let _ = activity.recipients().count();
});
