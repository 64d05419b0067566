//! Attacker-controlled headers must produce errors, never panics.

use proptest::prelude::*;

use super::*;

/// Strings built from the characters signature headers are made of, so the
/// generator reaches deep into the parsers instead of failing at byte one.
fn header_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(r#"[a-z0-9@"(); =:,*?\-+/#.A-Z\\]{0,120}"#).unwrap()
}

proptest! {
    #[test]
    fn parse_request_never_panics(
        input in header_text(),
        signature in header_text(),
        digest in header_text(),
        body in proptest::collection::vec(any::<u8>(), 0..8),
        rfc9421 in any::<bool>(),
    ) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("b.example"));
        if let Ok(v) = HeaderValue::from_str(&signature) {
            headers.insert("signature", v);
        }
        if let Ok(v) = HeaderValue::from_str(&digest) {
            headers.insert(if rfc9421 { "content-digest" } else { "digest" }, v);
        }
        if rfc9421 && let Ok(v) = HeaderValue::from_str(&input) {
            headers.insert("signature-input", v);
        }
        if let Ok(parsed) = parse(&Method::POST, "/inbox", &headers, &body) {
            let _ = parsed.verify(&crate::keys::test_keys::ed25519().public_key());
        }
    }
}
