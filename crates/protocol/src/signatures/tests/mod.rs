//! End-to-end tests of the signatures module: sign, parse, verify, and the
//! ways a request can fail, for both schemes.

#![allow(clippy::unwrap_used)]

mod cavage;
mod fuzz;
mod rfc9421;

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue, Method};

use super::{ParsedSignature, SignatureError, VerifyOptions, parse_request};

/// A fediverse-looking activity body.
const BODY: &[u8] = br#"{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow"}"#;
/// The inbox every test posts to.
const INBOX: &str = "https://b.example/users/bob/inbox";
/// The key id every test signs with.
const KEY_ID: &str = "https://a.example/users/alice#main-key";

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

fn opts_at(now: SystemTime) -> VerifyOptions {
    VerifyOptions {
        now,
        ..VerifyOptions::default()
    }
}

fn hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

fn parse(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedSignature, SignatureError> {
    parse_request(method, target, headers, body, &VerifyOptions::default())
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    headers.insert(name, HeaderValue::from_str(value).unwrap());
}

/// Decodes base64 from `value` between `start` and `end`, flips a bit, and
/// writes it back: a signature that is well-formed but wrong.
fn corrupt_between(value: &str, start: &str, end: &str) -> String {
    let from = value.find(start).unwrap() + start.len();
    let to = from + value[from..].find(end).unwrap();
    let mut sig = STANDARD.decode(&value[from..to]).unwrap();
    sig[10] ^= 0x01;
    format!("{}{}{}", &value[..from], STANDARD.encode(sig), &value[to..])
}

#[test]
fn unsigned_request_is_missing() {
    let mut headers = HeaderMap::new();
    set(&mut headers, "host", "b.example");
    assert_eq!(
        parse(&Method::POST, "/inbox", &headers, BODY).unwrap_err(),
        SignatureError::Missing
    );
    set(&mut headers, "authorization", "Bearer abc");
    assert_eq!(
        parse(&Method::POST, "/inbox", &headers, BODY).unwrap_err(),
        SignatureError::Missing
    );
}

#[test]
fn request_target_must_be_origin_form() {
    let headers = HeaderMap::new();
    let err = parse(&Method::GET, "https://b.example/x", &headers, b"").unwrap_err();
    assert!(matches!(err, SignatureError::Malformed(_)), "{err}");
}

#[test]
fn absurdly_long_headers_are_refused() {
    let mut headers = HeaderMap::new();
    set(
        &mut headers,
        "signature",
        &format!("keyId=\"{}\"", "a".repeat(20_000)),
    );
    let err = parse(&Method::GET, "/", &headers, b"").unwrap_err();
    assert!(
        matches!(&err, SignatureError::Malformed(m) if m.contains("longer than")),
        "{err}"
    );
}

#[test]
fn error_messages_say_what_is_wrong() {
    assert_eq!(
        SignatureError::MissingCoverage("digest".into()).to_string(),
        "the signature does not cover `digest`, which must be signed"
    );
    assert!(
        SignatureError::UnsupportedDigest("MD5=x".into())
            .to_string()
            .contains("MD5=x")
    );
}
