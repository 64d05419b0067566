//! An npm packument as the npm adapter reads it, then the version ordering the watcher applies to the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_registries::{Ecosystem, PackageId, fuzzing};

fuzz_target!(|data: &[u8]| {
    let Ok(package) = PackageId::new(Ecosystem::Npm, "request") else {
        return;
    };
    if let Ok(snapshot) = fuzzing::npm_packument(data, &package) {
        let listed: Vec<&str> = snapshot
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect();
        pkgfed_fuzz::check_version_order(Ecosystem::Npm, &listed);
    }
});
