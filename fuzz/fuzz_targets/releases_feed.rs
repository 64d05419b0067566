//! An Atom or RSS document, read both as a project's releases feed (the feed
//! adapter: entry titles become versions) and as the PyPI updates feed (the
//! change-feed reader), with and without a cursor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_registries::{Ecosystem, fuzzing};

fuzz_target!(|data: &[u8]| {
    if let Ok(versions) = fuzzing::releases_feed(data, "tool") {
        // Feed versions are ordered like the ecosystem the feed is configured for.
        pkgfed_fuzz::check_version_order(Ecosystem::Generic, &versions);
    }
    let _ = fuzzing::pypi_updates(data, None);
    let _ = fuzzing::pypi_updates(data, Some("1700000000"));
});
