//! HTTP message signatures, the authentication of server-to-server ActivityPub.
//!
//! Two schemes are in use on the fediverse and both are supported:
//! - draft-cavage-http-signatures-12 (`Signature: keyId=…,headers=…,signature=…`),
//!   which Mastodon, Misskey, Akkoma and GoToSocial send today, with a `Digest`
//!   header binding the body;
//! - RFC 9421 (`Signature-Input` + `Signature`), which Fedify sends, with a
//!   `Content-Digest` header (RFC 9530) binding the body.
//!
//! Verification is two steps so the caller can fetch the signer's key in between:
//! [`parse_request`] does every check that needs no key (coverage, clock, body
//! digest) and rebuilds the signed bytes; [`ParsedSignature::verify`] then checks
//! them against the key named by [`ParsedSignature::key_id`].
//!
//! # Layout
//! - `cavage`: draft-cavage signing and parsing.
//! - `rfc9421`: RFC 9421 signing and parsing.
//! - `components`: RFC 9421 component values and the signature base.
//! - `digest`: `Digest` / `Content-Digest` creation and checking.
//! - `structured`: the RFC 8941 structured-field subset RFC 9421 needs.

mod cavage;
mod components;
mod digest;
mod rfc9421;
pub(crate) mod structured;

use std::time::{Duration, SystemTime};

use http::HeaderMap;

use crate::keys::PublicKey;

pub use cavage::sign_cavage;
pub use digest::{content_digest_header, digest_header};
pub use rfc9421::{Rfc9421Key, sign_rfc9421};

/// Longest header value we will look at; real signature headers are under 2 KiB,
/// so this only stops someone making us parse megabytes.
const MAX_HEADER_LEN: usize = 16 * 1024;

/// Longest decoded signature accepted: an RSA-8192 signature is 1024 bytes.
const MAX_SIGNATURE_LEN: usize = 1024;

/// Which signature standard a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage-http-signatures-12 (`Signature` or `Authorization: Signature`).
    Cavage,
    /// RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`).
    Rfc9421,
}

/// What a verifier needs besides the request itself.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// How far `Date` / `created` may be from `now`, in either direction.
    pub max_skew: Duration,
    /// The current time; injectable so tests need not sleep.
    pub now: SystemTime,
    /// `"https"` or `"http"`: the scheme the request arrived on, needed to rebuild
    /// RFC 9421 `@target-uri` and `@scheme` (TLS usually ends at a proxy).
    pub scheme: String,
}

impl Default for VerifyOptions {
    /// One hour of skew (as Mastodon allows), `now` = the moment of the call, https.
    fn default() -> Self {
        Self {
            max_skew: Duration::from_secs(3600),
            now: SystemTime::now(),
            scheme: "https".to_owned(),
        }
    }
}

/// Why a signed request was refused (or, when signing, why we could not sign).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request carries no signature at all.
    #[error(
        "request is not signed: no `Signature-Input`, `Signature` or `Authorization: Signature` header"
    )]
    Missing,
    /// A signature header or one of its parameters could not be parsed.
    #[error("malformed HTTP signature: {0}")]
    Malformed(String),
    /// The signature uses an algorithm pkgfed does not accept.
    #[error(
        "unsupported signature algorithm `{0}`; accepted are rsa-sha256 and hs2019 (draft-cavage), rsa-v1_5-sha256, rsa-pss-sha512 and ed25519 (RFC 9421)"
    )]
    UnsupportedAlgorithm(String),
    /// A component pkgfed requires to be signed is not covered by the signature.
    #[error("the signature does not cover `{0}`, which must be signed")]
    MissingCoverage(String),
    /// The signature covers a header the request does not have.
    #[error("the signature covers `{0}` but the request has no such header")]
    MissingHeader(String),
    /// The request has a body but no digest header to bind it to the signature.
    #[error(
        "the request has a body but no `Digest` (draft-cavage) or `Content-Digest` (RFC 9421) header"
    )]
    MissingDigest,
    /// The digest header lists no algorithm pkgfed knows.
    #[error("no supported algorithm in digest header `{0}`; send SHA-256 or SHA-512")]
    UnsupportedDigest(String),
    /// A digest does not match the body: the body changed after signing.
    #[error("the request body does not match the {0} digest")]
    DigestMismatch(String),
    /// `Date` or `created` is too far from our clock.
    #[error("signature time is outside the accepted window: {0}")]
    ClockSkew(String),
    /// The signature's `expires` time has passed.
    #[error("the signature has expired: {0}")]
    Expired(String),
    /// The signature bytes do not verify with the signer's key.
    #[error(
        "the signature does not verify with the signer's public key (wrong key, or headers changed after signing)"
    )]
    BadSignature,
    /// The declared algorithm cannot be used with the signer's key type.
    #[error("signature algorithm and key do not match: {0}")]
    KeyMismatch(String),
    /// Outgoing only: we could not sign a request (bad URL, key id or key).
    #[error("cannot sign the request: {0}")]
    Signing(String),
}

/// The signature algorithm a request declared, after mapping names of both schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    /// RSASSA-PKCS1-v1_5 SHA-256 (`rsa-sha256`, `rsa-v1_5-sha256`).
    RsaPkcs1Sha256,
    /// RSASSA-PSS SHA-512 (`rsa-pss-sha512`).
    RsaPssSha512,
    /// Ed25519 (`ed25519`).
    Ed25519,
    /// Decided by the key: cavage `hs2019` or missing `algorithm`, RFC 9421
    /// without `alg`. RSA keys try PKCS#1 v1.5 SHA-256 (what Mastodon and
    /// GoToSocial mean by hs2019), then PSS SHA-512 (what the draft means).
    FromKey,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::RsaPkcs1Sha256 => "RSASSA-PKCS1-v1_5 SHA-256",
            Self::RsaPssSha512 => "RSASSA-PSS SHA-512",
            Self::Ed25519 => "Ed25519",
            Self::FromKey => "key-determined",
        }
    }
}

/// A signature that passed every check not needing the key; call
/// [`ParsedSignature::verify`] with the key fetched for [`ParsedSignature::key_id`].
#[derive(Debug, Clone)]
pub struct ParsedSignature {
    /// The key id exactly as sent (usually `https://host/actor#main-key`).
    pub key_id: String,
    /// Which standard the request used.
    pub scheme: Scheme,
    algorithm: Algorithm,
    /// The signing string (cavage) or signature base (RFC 9421).
    base: Vec<u8>,
    signature: Vec<u8>,
}

impl ParsedSignature {
    /// Checks the signature against the signer's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        let (msg, sig) = (&self.base[..], &self.signature[..]);
        let result = match (self.algorithm, key.is_rsa()) {
            (Algorithm::RsaPkcs1Sha256, true) => key.verify_pkcs1_sha256(msg, sig),
            (Algorithm::RsaPssSha512, true) => key.verify_pss_sha512(msg, sig),
            (Algorithm::FromKey, true) => key
                .verify_pkcs1_sha256(msg, sig)
                .or_else(|_| key.verify_pss_sha512(msg, sig)),
            (Algorithm::Ed25519 | Algorithm::FromKey, false) => key.verify_ed25519(msg, sig),
            (alg, is_rsa) => {
                return Err(SignatureError::KeyMismatch(format!(
                    "the request declares {} but the key `{}` is {}",
                    alg.name(),
                    self.key_id,
                    if is_rsa {
                        "an RSA key"
                    } else {
                        "an Ed25519 key"
                    },
                )));
            }
        };
        result.map_err(|_| SignatureError::BadSignature)
    }
}

/// Parses and pre-checks the signature of an incoming request.
///
/// `path_and_query` is the request target exactly as received (`/inbox?x=1`,
/// still percent-encoded). `headers` must include `Host` (for HTTP/2 requests,
/// insert it from `:authority`). `body` is the raw body bytes.
///
/// RFC 9421 is used when `Signature-Input` is present; otherwise draft-cavage
/// from `Signature` or `Authorization: Signature …`.
pub fn parse_request(
    method: &http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    opts: &VerifyOptions,
) -> Result<ParsedSignature, SignatureError> {
    if !path_and_query.starts_with('/') {
        return Err(SignatureError::Malformed(format!(
            "request target `{}` is not an absolute path",
            path_and_query.chars().take(100).collect::<String>()
        )));
    }
    let req = Request {
        method,
        path_and_query,
        headers,
        body,
        opts,
    };
    if let Some(input) = header_value(headers, "signature-input")? {
        return rfc9421::parse(&req, &input);
    }
    if let Some(signature) = header_value(headers, "signature")? {
        return cavage::parse(&req, &signature);
    }
    if let Some(auth) = header_value(headers, "authorization")?
        && let Some((kind, params)) = auth.split_once(' ')
        && kind.eq_ignore_ascii_case("signature")
    {
        return cavage::parse(&req, params);
    }
    Err(SignatureError::Missing)
}

/// An incoming request, bundled for the scheme parsers.
struct Request<'a> {
    method: &'a http::Method,
    path_and_query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    opts: &'a VerifyOptions,
}

/// All values of header `name`, trimmed and joined with `", "` as both schemes
/// prescribe; `None` when absent.
fn header_value(headers: &HeaderMap, name: &str) -> Result<Option<String>, SignatureError> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(name) {
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| SignatureError::Malformed(format!("header `{name}` is not UTF-8")))?
            .trim_matches([' ', '\t']);
        match &mut joined {
            Some(acc) => {
                acc.push_str(", ");
                acc.push_str(text);
            }
            None => joined = Some(text.to_owned()),
        }
        if joined.as_ref().is_some_and(|j| j.len() > MAX_HEADER_LEN) {
            return Err(SignatureError::Malformed(format!(
                "header `{name}` is longer than {MAX_HEADER_LEN} bytes"
            )));
        }
    }
    Ok(joined)
}

/// Refuses `at` if it is more than `max_skew` away from `now` either way.
fn check_skew(what: &str, at: SystemTime, opts: &VerifyOptions) -> Result<(), SignatureError> {
    let (offset, direction) = match at.duration_since(opts.now) {
        Ok(ahead) => (ahead, "in the future"),
        Err(behind) => (behind.duration(), "in the past"),
    };
    if offset > opts.max_skew {
        return Err(SignatureError::ClockSkew(format!(
            "{what} is {}s {direction}; at most {}s of difference is accepted",
            offset.as_secs(),
            opts.max_skew.as_secs()
        )));
    }
    Ok(())
}

/// Refuses a signature whose `expires` (Unix seconds) has passed.
fn check_expires(expires: i64, opts: &VerifyOptions) -> Result<(), SignatureError> {
    let at = unix_time(expires, "expires")?;
    if at < opts.now {
        let ago = opts.now.duration_since(at).unwrap_or_default().as_secs();
        return Err(SignatureError::Expired(format!(
            "`expires` passed {ago}s ago"
        )));
    }
    Ok(())
}

/// Converts Unix seconds from a signature parameter into a time.
fn unix_time(secs: i64, what: &str) -> Result<SystemTime, SignatureError> {
    u64::try_from(secs)
        .ok()
        .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .ok_or_else(|| SignatureError::Malformed(format!("`{what}` = {secs} is not a valid time")))
}

/// Refuses empty or absurdly long signatures of either scheme.
fn check_signature_len(signature: Vec<u8>) -> Result<Vec<u8>, SignatureError> {
    if signature.is_empty() || signature.len() > MAX_SIGNATURE_LEN {
        return Err(SignatureError::Malformed(format!(
            "signature is {} bytes; expected 1 to {MAX_SIGNATURE_LEN}",
            signature.len()
        )));
    }
    Ok(signature)
}

/// The authority (`host[:port]`) and origin-form target of an outgoing URL,
/// exactly as the HTTP client will send them.
fn url_parts(url: &url::Url) -> Result<(&str, &str), SignatureError> {
    use url::Position;
    let authority = &url[Position::BeforeHost..Position::AfterPort];
    if authority.is_empty() {
        return Err(SignatureError::Signing(format!("URL `{url}` has no host")));
    }
    let target = &url[Position::BeforePath..Position::AfterQuery];
    Ok((authority, if target.is_empty() { "/" } else { target }))
}

/// Turns a header value we built into an `HeaderValue`, rejecting characters
/// (from a caller-supplied key id) that cannot appear in a header.
fn to_header_value(value: String) -> Result<http::HeaderValue, SignatureError> {
    http::HeaderValue::try_from(value)
        .map_err(|_| SignatureError::Signing("value not allowed in an HTTP header".into()))
}

#[cfg(test)]
mod tests;
