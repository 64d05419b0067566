//! A Cargo sparse-index file as the cargo adapter reads it (one JSON object per
//! line), then the version ordering the watcher applies to the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_registries::{Ecosystem, PackageId, fuzzing};

fuzz_target!(|data: &[u8]| {
    let Ok(package) = PackageId::new(Ecosystem::Cargo, "serde") else {
        return;
    };
    if let Ok((versions, _name)) = fuzzing::cargo_index(data, &package) {
        let listed: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
        pkgfed_fuzz::check_version_order(Ecosystem::Cargo, &listed);
    }
});
