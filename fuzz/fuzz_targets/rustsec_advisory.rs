//! One RustSec-style advisory (Markdown with TOML front matter) as the directory
//! source reads it, then what the advisory pipeline asks of the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_fuzz::exercise_advisory;
use pkgfed_registries::advisories::parse_rustsec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(advisory) = parse_rustsec(text, "RUSTSEC-0000-0000.md") {
        exercise_advisory(&advisory);
    }
});
