//! RFC 9421 `Signature-Input` and `Signature` headers (the input's first line and
//! the rest) on an otherwise well-formed inbox POST, through the same
//! `parse_request` → `verify` path the inbound pipeline takes, with the clock
//! fixed at a known instant.
#![no_main]

use http::{HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use pkgfed_fuzz::signatures::{exercise, request_headers};

fuzz_target!(|data: &[u8]| {
    let (input, signature) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let (Ok(input), Ok(signature)) = (
        HeaderValue::from_bytes(input),
        HeaderValue::from_bytes(signature),
    ) else {
        return;
    };
    let mut headers = request_headers(true);
    headers.insert("signature-input", input);
    headers.insert("signature", signature);
    exercise(&Method::POST, &headers);
});
