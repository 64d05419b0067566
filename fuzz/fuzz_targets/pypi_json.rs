//! A PyPI JSON API project document as the PyPI adapter reads it, then the version
//! ordering the watcher applies to the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_registries::{Ecosystem, fuzzing};

fuzz_target!(|data: &[u8]| {
    pkgfed_fuzz::check_snapshot_parser(Ecosystem::Pypi, "requests", data, fuzzing::pypi_json);
});
