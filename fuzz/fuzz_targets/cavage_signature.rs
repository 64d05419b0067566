//! A draft-cavage `Signature` header on an otherwise well-formed inbox POST,
//! through the same `parse_request` → `verify` path the inbound pipeline takes.
//! The clock is fixed at the request's `Date`, so inputs get past the skew check
//! and reach coverage, digest and key handling.
#![no_main]

use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use pkgfed_fuzz::signatures::{exercise, request_headers};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers: HeaderMap = request_headers(false);
    headers.insert("signature", value.clone());
    exercise(&Method::POST, &headers);
    // The same parameters in `Authorization: Signature …`, which some servers use.
    let mut headers = request_headers(false);
    if let Ok(auth) = HeaderValue::from_bytes(&[b"Signature ", data].concat()) {
        headers.insert("authorization", auth);
        exercise(&Method::POST, &headers);
    }
});
