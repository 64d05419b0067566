//! The bad-signature matrix: each case gets 401 and changes no stored state.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderValue, Method};
use common::{Peer, TestServer};
use pkgfed_protocol::keys::Ed25519PrivateKey;
use pkgfed_protocol::signatures::{self, Rfc9421Key};
use serde_json::Value;

struct Case {
    server: TestServer,
    peer: Peer,
    inbox: String,
    follow: Value,
    body: Vec<u8>,
}

async fn setup() -> Case {
    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let follow = peer.follow("alice", &actor);
    Case {
        inbox: format!("{actor}/inbox"),
        body: serde_json::to_vec(&follow).unwrap(),
        follow,
        server,
        peer,
    }
}

/// Posts and asserts 401 with nothing stored.
async fn assert_refused(c: &Case, headers: HeaderMap, body: Vec<u8>, why: &str) {
    let before = c.server.counts().await;
    let (status, text) = c.peer.post_raw(&c.inbox, headers, body).await;
    assert_eq!(status, 401, "{why}: expected 401, got {status}: {text}");
    assert!(text.contains("error"), "{why}: the reason is given: {text}");
    assert_eq!(
        c.server.counts().await,
        before,
        "{why}: stored state changed"
    );
}

fn set(h: &mut HeaderMap, name: &'static str, value: &str) {
    h.insert(name, HeaderValue::from_str(value).unwrap());
}

#[tokio::test]
async fn unsigned() {
    let c = setup().await;
    let mut h = HeaderMap::new();
    set(&mut h, "content-type", "application/activity+json");
    assert_refused(&c, h, c.body.clone(), "unsigned").await;
}

#[tokio::test]
async fn corrupted_signature_bytes() {
    let c = setup().await;
    let mut h = c.peer.signed_headers("alice", &c.inbox, &c.body);
    let sig = h["signature"].to_str().unwrap().to_owned();
    // Flip characters inside the base64 signature value.
    let start = sig.find("signature=\"").unwrap() + 11;
    let mut bytes = sig.into_bytes();
    bytes[start + 5] = if bytes[start + 5] == b'A' { b'B' } else { b'A' };
    bytes[start + 6] = if bytes[start + 6] == b'A' { b'B' } else { b'A' };
    set(&mut h, "signature", std::str::from_utf8(&bytes).unwrap());
    assert_refused(&c, h, c.body.clone(), "corrupted signature").await;
}

#[tokio::test]
async fn body_changed_after_signing() {
    let c = setup().await;
    let h = c.peer.signed_headers("alice", &c.inbox, &c.body);
    let mut other = c.follow.clone();
    other["id"] = Value::String(format!("{}-tampered", c.follow["id"].as_str().unwrap()));
    assert_refused(&c, h, serde_json::to_vec(&other).unwrap(), "body changed").await;
}

#[tokio::test]
async fn digest_missing() {
    let c = setup().await;
    let mut h = c.peer.signed_headers("alice", &c.inbox, &c.body);
    h.remove("digest");
    assert_refused(&c, h, c.body.clone(), "digest missing").await;
}

#[tokio::test]
async fn unknown_digest_algorithm() {
    let c = setup().await;
    // Sign with a Digest of an unknown algorithm covered by the signature.
    let url = url::Url::parse(&c.inbox).unwrap();
    let mut h = HeaderMap::new();
    set(&mut h, "content-type", "application/activity+json");
    signatures::sign_cavage(
        &Method::POST,
        &url,
        &mut h,
        Some(&c.body),
        &c.peer.key_id("alice"),
        &c.peer.key("alice"),
    )
    .unwrap();
    set(&mut h, "digest", "MD5=rL0Y20zC+Fzt72VPzMSk2A==");
    assert_refused(&c, h, c.body.clone(), "unknown digest algorithm").await;
}

#[tokio::test]
async fn key_id_that_returns_404() {
    let c = setup().await;
    let url = url::Url::parse(&c.inbox).unwrap();
    let mut h = HeaderMap::new();
    set(&mut h, "content-type", "application/activity+json");
    let key_id = format!("{}#main-key", c.peer.actor("nobody"));
    signatures::sign_cavage(
        &Method::POST,
        &url,
        &mut h,
        Some(&c.body),
        &key_id,
        &c.peer.key("alice"),
    )
    .unwrap();
    assert_refused(&c, h, c.body.clone(), "keyId 404").await;
}

#[tokio::test]
async fn date_two_hours_old() {
    let c = setup().await;
    let mut h = c.peer.signed_headers("alice", &c.inbox, &c.body);
    // Re-sign over an old Date, so only the age is wrong.
    let old = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(2 * 3600));
    let url = url::Url::parse(&c.inbox).unwrap();
    let key_id = c.peer.key_id("alice");
    let key = c.peer.key("alice");
    let signing_string = format!(
        "(request-target): post {}\nhost: {}\ndate: {old}\ndigest: {}",
        url.path(),
        c.server.host,
        signatures::digest_header(&c.body)
    );
    let sig = base64_encode(&key.sign_pkcs1_sha256(signing_string.as_bytes()).unwrap());
    set(&mut h, "date", &old);
    set(
        &mut h,
        "signature",
        &format!(
            r#"keyId="{key_id}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{sig}""#
        ),
    );
    assert_refused(&c, h, c.body.clone(), "date two hours old").await;
}

#[tokio::test]
async fn key_owner_differs_from_activity_actor() {
    let c = setup().await;
    c.peer.add_user("mallory", common::peer::KeyStyle::Fragment);
    // mallory signs alice's Follow with her own (valid) key.
    let h = c.peer.signed_headers("mallory", &c.inbox, &c.body);
    assert_refused(&c, h, c.body.clone(), "key owner differs").await;
}

#[tokio::test]
async fn rfc9421_without_content_digest_coverage() {
    let c = setup().await;
    let url = url::Url::parse(&c.inbox).unwrap();
    let mut h = HeaderMap::new();
    set(&mut h, "content-type", "application/activity+json");
    set(
        &mut h,
        "content-digest",
        &signatures::content_digest_header(&c.body),
    );
    signatures::sign_rfc9421(
        &Method::POST,
        &url,
        &mut h,
        Some(&c.body),
        &c.peer.key_id("alice"),
        Rfc9421Key::RsaV15Sha256(&c.peer.key("alice")),
        &["@method", "@target-uri"],
        SystemTime::now(),
    )
    .unwrap();
    assert_refused(&c, h, c.body.clone(), "9421 without content-digest").await;
}

#[tokio::test]
async fn rfc9421_signatures_are_accepted() {
    let c = setup().await;
    let url = url::Url::parse(&c.inbox).unwrap();
    for (i, alg) in ["rsa-v1_5-sha256", "rsa-pss-sha512"]
        .into_iter()
        .enumerate()
    {
        let mut follow = c.follow.clone();
        follow["id"] = Value::String(format!("{}-{i}", c.follow["id"].as_str().unwrap()));
        let body = serde_json::to_vec(&follow).unwrap();
        let mut h = HeaderMap::new();
        set(&mut h, "content-type", "application/activity+json");
        let key = c.peer.key("alice");
        let k = if alg == "rsa-pss-sha512" {
            Rfc9421Key::RsaPssSha512(&key)
        } else {
            Rfc9421Key::RsaV15Sha256(&key)
        };
        signatures::sign_rfc9421(
            &Method::POST,
            &url,
            &mut h,
            Some(&body),
            &c.peer.key_id("alice"),
            k,
            &["@method", "@target-uri", "content-digest"],
            SystemTime::now(),
        )
        .unwrap();
        let (status, text) = c.peer.post_raw(&c.inbox, h, body).await;
        assert_eq!(status, 202, "{alg}: {text}");
    }
    assert_eq!(c.server.counts().await.follows, 1);
}

#[tokio::test]
async fn ed25519_signature_against_an_rsa_key_is_refused() {
    let c = setup().await;
    let url = url::Url::parse(&c.inbox).unwrap();
    let ed = Ed25519PrivateKey::generate().unwrap();
    let mut h = HeaderMap::new();
    set(&mut h, "content-type", "application/activity+json");
    signatures::sign_rfc9421(
        &Method::POST,
        &url,
        &mut h,
        Some(&c.body),
        &c.peer.key_id("alice"),
        Rfc9421Key::Ed25519(&ed),
        &["@method", "@target-uri", "content-digest"],
        SystemTime::now(),
    )
    .unwrap();
    assert_refused(&c, h, c.body.clone(), "ed25519 vs RSA key").await;
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
