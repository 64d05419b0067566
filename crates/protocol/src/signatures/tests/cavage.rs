//! draft-cavage: round trips, hand-built signing strings and the failure matrix.

use super::*;
use crate::keys::{RsaPrivateKey, test_keys};
use crate::signatures::{Scheme, digest_header, sign_cavage};

/// A fixed instant for hand-built requests: `Date: Sun, 05 Jan 2014 21:31:40 GMT`.
const DATE: &str = "Sun, 05 Jan 2014 21:31:40 GMT";

fn fixed_now() -> SystemTime {
    httpdate::parse_http_date(DATE).unwrap()
}

fn signed_post(body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let key = test_keys::rsa();
    sign_cavage(
        &Method::POST,
        &url(INBOX),
        &mut headers,
        Some(body),
        KEY_ID,
        key,
    )
    .unwrap();
    headers
}

/// Signs `lines` (the signing string, built by hand) and returns headers with
/// the given Host/Date/Digest and a `Signature` made of `params` + signature.
fn hand_signed(key: &RsaPrivateKey, lines: &str, params: &str, digest: Option<&str>) -> HeaderMap {
    let sig = STANDARD.encode(key.sign_pkcs1_sha256(lines.as_bytes()).unwrap());
    let mut headers = HeaderMap::new();
    set(&mut headers, "host", "b.example");
    set(&mut headers, "date", DATE);
    if let Some(digest) = digest {
        set(&mut headers, "digest", digest);
    }
    set(&mut headers, "signature", &params.replace("{sig}", &sig));
    headers
}

#[test]
fn post_with_body_round_trips() {
    let headers = signed_post(BODY);
    assert_eq!(headers["host"], "b.example");
    assert_eq!(headers["digest"], digest_header(BODY).as_str());
    let sig = headers["signature"].to_str().unwrap();
    assert!(
        sig.starts_with(&format!(r#"keyId="{KEY_ID}",algorithm="rsa-sha256","#)),
        "{sig}"
    );
    assert!(
        sig.contains(r#"headers="(request-target) host date digest""#),
        "{sig}"
    );

    let parsed = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap();
    assert_eq!(parsed.key_id, KEY_ID);
    assert_eq!(parsed.scheme, Scheme::Cavage);
    parsed.verify(&test_keys::rsa().public_key()).unwrap();
}

#[test]
fn get_without_body_round_trips_with_query_and_port() {
    let mut headers = HeaderMap::new();
    let target = url("http://localhost:8080/users/bob/outbox?page=true");
    sign_cavage(
        &Method::GET,
        &target,
        &mut headers,
        None,
        KEY_ID,
        test_keys::rsa(),
    )
    .unwrap();
    assert_eq!(headers["host"], "localhost:8080");
    assert!(!headers.contains_key("digest"));
    let sig = headers["signature"].to_str().unwrap();
    assert!(
        sig.contains(r#"headers="(request-target) host date""#),
        "{sig}"
    );
    let parsed = parse(&Method::GET, "/users/bob/outbox?page=true", &headers, b"").unwrap();
    parsed.verify(&test_keys::rsa().public_key()).unwrap();
    // The query is signed: dropping it breaks the signature.
    let parsed = parse(&Method::GET, "/users/bob/outbox", &headers, b"").unwrap();
    assert_eq!(
        parsed.verify(&test_keys::rsa().public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn wrong_key_or_key_type_fails() {
    let parsed = parse(&Method::POST, "/users/bob/inbox", &signed_post(BODY), BODY).unwrap();
    let other = test_keys::other_rsa().public_key();
    assert_eq!(parsed.verify(&other), Err(SignatureError::BadSignature));
    let ed = test_keys::ed25519().public_key();
    assert!(matches!(
        parsed.verify(&ed),
        Err(SignatureError::KeyMismatch(_))
    ));
}

#[test]
fn corrupted_signature_fails() {
    let mut headers = signed_post(BODY);
    let value = headers["signature"].to_str().unwrap().to_owned();
    set(
        &mut headers,
        "signature",
        &corrupt_between(&value, "signature=\"", "\""),
    );
    let parsed = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap();
    assert_eq!(
        parsed.verify(&test_keys::rsa().public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn other_method_or_path_fails() {
    let headers = signed_post(BODY);
    let key = test_keys::rsa().public_key();
    let parsed = parse(&Method::POST, "/users/carol/inbox", &headers, BODY).unwrap();
    assert_eq!(parsed.verify(&key), Err(SignatureError::BadSignature));
    let parsed = parse(&Method::PUT, "/users/bob/inbox", &headers, BODY).unwrap();
    assert_eq!(parsed.verify(&key), Err(SignatureError::BadSignature));
}

#[test]
fn body_changed_after_signing_is_a_digest_mismatch() {
    let headers = signed_post(BODY);
    let err = parse(
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        b"{\"type\":\"Delete\"}",
    )
    .unwrap_err();
    assert_eq!(
        err,
        SignatureError::DigestMismatch("SHA-256 in Digest".into())
    );
}

#[test]
fn missing_digest_header_is_refused() {
    let mut headers = signed_post(BODY);
    headers.remove("digest");
    let err = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap_err();
    assert_eq!(err, SignatureError::MissingDigest);
}

#[test]
fn unknown_digest_algorithm_only_is_unsupported() {
    let mut headers = signed_post(BODY);
    set(&mut headers, "digest", "MD5=Q2hlY2sgSW50ZWdyaXR5IQ==");
    let err = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap_err();
    assert_eq!(
        err,
        SignatureError::UnsupportedDigest("MD5=Q2hlY2sgSW50ZWdyaXR5IQ==".into())
    );
}

#[test]
fn date_two_hours_off_either_way_is_refused() {
    let headers = signed_post(BODY);
    let now = SystemTime::now();
    for skewed in [now + hours(2), now - hours(2)] {
        let err = parse_request(
            &Method::POST,
            "/users/bob/inbox",
            &headers,
            BODY,
            &opts_at(skewed),
        );
        assert!(matches!(err, Err(SignatureError::ClockSkew(_))), "{err:?}");
    }
    let fine = opts_at(now + Duration::from_secs(1800));
    assert!(parse_request(&Method::POST, "/users/bob/inbox", &headers, BODY, &fine).is_ok());
}

#[test]
fn unparseable_date_is_malformed() {
    let mut headers = signed_post(BODY);
    set(&mut headers, "date", "yesterday");
    let err = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap_err();
    assert!(
        matches!(&err, SignatureError::Malformed(m) if m.contains("yesterday")),
        "{err}"
    );
}

/// The signing string is written out by hand exactly as draft-cavage §2.3
/// describes, signed with the raw key method, and must verify through
/// `parse_request`: this checks the string construction independently of
/// `sign_cavage`. The header uses spaces and an unusual parameter order.
#[test]
fn hand_built_signing_string_verifies() {
    let key = test_keys::rsa();
    let digest = digest_header(BODY);
    let lines = format!(
        "(request-target): post /users/bob/inbox\nhost: b.example\ndate: {DATE}\ndigest: {digest}"
    );
    let params = format!(
        r#"signature="{{sig}}" ,  headers="(request-target) host date digest", algorithm="rsa-sha256",keyId="{KEY_ID}""#
    );
    let headers = hand_signed(key, &lines, &params, Some(&digest));
    let parsed = parse_request(
        &Method::POST,
        "/users/bob/inbox",
        &headers,
        BODY,
        &opts_at(fixed_now()),
    )
    .unwrap();
    assert_eq!(parsed.base, lines.as_bytes());
    parsed.verify(&key.public_key()).unwrap();
}

#[test]
fn key_id_forms_are_returned_verbatim() {
    let key = test_keys::rsa();
    let lines = format!("(request-target): get /users/alice\nhost: b.example\ndate: {DATE}");
    for key_id in [
        "https://a.example/users/alice#main-key",
        "https://a.example/users/alice/main-key",
    ] {
        let params = format!(
            r#"keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date",signature="{{sig}}""#
        );
        let headers = hand_signed(key, &lines, &params, None);
        let parsed = parse_request(
            &Method::GET,
            "/users/alice",
            &headers,
            b"",
            &opts_at(fixed_now()),
        )
        .unwrap();
        assert_eq!(parsed.key_id, key_id);
        parsed.verify(&key.public_key()).unwrap();
    }
}

#[test]
fn hs2019_and_missing_algorithm_use_the_key_type() {
    let key = test_keys::rsa();
    let lines = format!("(request-target): get /users/alice\nhost: b.example\ndate: {DATE}");
    for alg in [r#"algorithm="hs2019","#, ""] {
        let params = format!(
            r#"keyId="{KEY_ID}",{alg}headers="(request-target) host date",signature="{{sig}}""#
        );
        let headers = hand_signed(key, &lines, &params, None);
        let parsed = parse_request(
            &Method::GET,
            "/users/alice",
            &headers,
            b"",
            &opts_at(fixed_now()),
        )
        .unwrap();
        parsed.verify(&key.public_key()).unwrap();
    }
    // hs2019 with an Ed25519 key, as some newer servers send.
    let ed = test_keys::ed25519();
    let mut headers = hand_signed(key, &lines, "", None);
    let sig = STANDARD.encode(ed.sign(lines.as_bytes()));
    let value = format!(
        r#"keyId="{KEY_ID}",algorithm="hs2019",headers="(request-target) host date",signature="{sig}""#
    );
    set(&mut headers, "signature", &value);
    let parsed = parse_request(
        &Method::GET,
        "/users/alice",
        &headers,
        b"",
        &opts_at(fixed_now()),
    )
    .unwrap();
    parsed.verify(&ed.public_key()).unwrap();
    assert_eq!(
        parsed.verify(&key.public_key()),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn hmac_and_other_algorithms_are_unsupported() {
    let params = format!(
        r#"keyId="{KEY_ID}",algorithm="hmac-sha256",headers="(request-target) host date",signature="{{sig}}""#
    );
    let headers = hand_signed(test_keys::rsa(), "x", &params, None);
    let err = parse_request(&Method::GET, "/", &headers, b"", &opts_at(fixed_now())).unwrap_err();
    assert_eq!(
        err,
        SignatureError::UnsupportedAlgorithm("hmac-sha256".into())
    );
}

#[test]
fn required_coverage_is_enforced() {
    let digest = digest_header(BODY);
    let cases = [
        ("host date digest", "(request-target)"),
        ("(request-target) date digest", "host"),
        ("(request-target) host digest", "date"),
        ("(request-target) host date", "digest"),
    ];
    for (covered, missing) in cases {
        let params = format!(r#"keyId="{KEY_ID}",headers="{covered}",signature="{{sig}}""#);
        let headers = hand_signed(test_keys::rsa(), "x", &params, Some(&digest));
        let err = parse_request(
            &Method::POST,
            "/inbox",
            &headers,
            BODY,
            &opts_at(fixed_now()),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SignatureError::MissingCoverage(missing.into()),
            "{covered}"
        );
    }
    // No `headers` parameter means only `date` is signed.
    let params = format!(r#"keyId="{KEY_ID}",signature="{{sig}}""#);
    let headers = hand_signed(test_keys::rsa(), "x", &params, None);
    let err = parse_request(&Method::GET, "/", &headers, b"", &opts_at(fixed_now())).unwrap_err();
    assert_eq!(
        err,
        SignatureError::MissingCoverage("(request-target)".into())
    );
}

#[test]
fn lowercase_digest_names_case_insensitive_headers_and_joined_values() {
    let key = test_keys::rsa();
    let digest = digest_header(BODY).replace("SHA-256=", "sha-256=");
    let lines = format!(
        "(request-target): post /inbox\nhost: b.example\ndate: {DATE}\ndigest: {digest}\naccept: a/b, c/d"
    );
    let params = format!(
        r#"keyId="{KEY_ID}",headers="(request-target) Host DATE digest accept",signature="{{sig}}""#
    );
    let mut headers = hand_signed(key, &lines, &params, Some(&digest));
    headers.append("Accept", HeaderValue::from_static("a/b"));
    headers.append("accept", HeaderValue::from_static(" c/d "));
    let parsed = parse_request(
        &Method::POST,
        "/inbox",
        &headers,
        BODY,
        &opts_at(fixed_now()),
    )
    .unwrap();
    parsed.verify(&key.public_key()).unwrap();
}

#[test]
fn authorization_header_form_is_accepted() {
    let mut headers = signed_post(BODY);
    let value = headers.remove("signature").unwrap();
    set(
        &mut headers,
        "authorization",
        &format!("Signature {}", value.to_str().unwrap()),
    );
    let parsed = parse(&Method::POST, "/users/bob/inbox", &headers, BODY).unwrap();
    parsed.verify(&test_keys::rsa().public_key()).unwrap();
}

#[test]
fn created_and_expires_parameters() {
    let key = test_keys::rsa();
    let created = fixed_now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lines = format!("(request-target): get /\nhost: b.example\n(created): {created}");
    let params = format!(
        r#"keyId="{KEY_ID}",algorithm="hs2019",created={created},expires={},headers="(request-target) host (created)",signature="{{sig}}""#,
        created + 300
    );
    let headers = hand_signed(key, &lines, &params, None);
    let parsed = parse_request(&Method::GET, "/", &headers, b"", &opts_at(fixed_now())).unwrap();
    parsed.verify(&key.public_key()).unwrap();
    let later = opts_at(fixed_now() + Duration::from_secs(600));
    let err = parse_request(&Method::GET, "/", &headers, b"", &later).unwrap_err();
    assert!(matches!(err, SignatureError::Expired(_)), "{err}");
}

#[test]
fn covered_header_absent_from_request() {
    let params = format!(
        r#"keyId="{KEY_ID}",headers="(request-target) host date x-missing",signature="{{sig}}""#
    );
    let headers = hand_signed(test_keys::rsa(), "x", &params, None);
    let err = parse_request(&Method::GET, "/", &headers, b"", &opts_at(fixed_now())).unwrap_err();
    assert_eq!(err, SignatureError::MissingHeader("x-missing".into()));
}
