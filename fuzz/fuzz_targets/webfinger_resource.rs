//! A WebFinger `resource` parameter as `/.well-known/webfinger` reads it: an
//! `acct:` handle, an actor URL or a package URL, for this instance's host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed::federation::webfinger::{Resource, parse_resource};
use pkgfed_fuzz::inbound::urls;
use pkgfed_registries::{Ecosystem, handle, parse_purl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_resource(urls(), text) {
        // What the handler does next with each kind of answer.
        Ok(Resource::Handle(name)) => {
            let _ = handle::from_handle(&name, &Ecosystem::ALL);
        }
        Ok(Resource::Purl(purl)) => {
            let _ = parse_purl(&purl);
        }
        Ok(Resource::Instance | Resource::Foreign) | Err(_) => {}
    }
});
