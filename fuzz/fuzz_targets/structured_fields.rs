//! The RFC 8941 structured-field dictionary parser behind `Signature-Input`,
//! `Signature` and `Content-Digest`, with a canonical round-trip oracle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pkgfed_protocol::fuzzing::structured_dictionary;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = structured_dictionary(text);
    }
});
