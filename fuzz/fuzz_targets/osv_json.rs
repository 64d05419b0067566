//! One OSV JSON record as the directory and API sources read it, then what the
//! advisory pipeline asks of it: which packages it names, which versions it
//! affects, fixed versions and CVSS score.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_fuzz::exercise_advisory;
use pkgfed_registries::advisories::{self, Advisory};

fuzz_target!(|data: &[u8]| {
    if let Ok(advisory) = Advisory::from_osv_json(data, "fuzzed.json") {
        exercise_advisory(&advisory);
        let _ = advisories::model::Advisory::to_json(&advisory);
    }
});
