//! Body digests: the legacy `Digest` header (RFC 3230, used with draft-cavage
//! signatures) and `Content-Digest` (RFC 9530, used with RFC 9421).
//!
//! A signature only covers the digest header, so the digest is what binds the
//! body to the signature. Both headers may carry several algorithms; every one we
//! recognise must match, and at least one must be recognised.

use aws_lc_rs::digest::{self, SHA256, SHA512};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::SignatureError;
use super::structured::{BareItem, Member, decode_base64_lenient, parse_dictionary};

/// The `Digest` header value for `body`: `SHA-256=<base64>`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(digest::digest(&SHA256, body)))
}

/// The `Content-Digest` header value for `body`: `sha-256=:<base64>:`.
pub fn content_digest_header(body: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        STANDARD.encode(digest::digest(&SHA256, body))
    )
}

/// Hashes `body` with the algorithm named `alg` (case-insensitive), if known.
fn hash(alg: &str, body: &[u8]) -> Option<Vec<u8>> {
    let algorithm = match alg.to_ascii_lowercase().as_str() {
        "sha-256" => &SHA256,
        "sha-512" => &SHA512,
        _ => return None,
    };
    Some(digest::digest(algorithm, body).as_ref().to_vec())
}

/// Checks a `Digest` header such as `SHA-256=abc=,SHA-512=def=` against `body`.
pub(crate) fn check_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut entries = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        // Split at the first `=`: base64 padding brings more of them.
        let (alg, b64) = entry.split_once('=').ok_or_else(|| {
            SignatureError::Malformed(format!("Digest entry `{entry}` has no `=`"))
        })?;
        entries.push((alg.trim().to_owned(), Some(b64.trim().to_owned())));
    }
    check_entries("Digest", value, entries, body)
}

/// Checks a `Content-Digest` structured dictionary such as `sha-256=:abc=:`.
pub(crate) fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dict = parse_dictionary(value)
        .map_err(|e| SignatureError::Malformed(format!("Content-Digest: {e}")))?;
    let entries = dict
        .into_iter()
        .map(|(alg, member)| {
            let bytes = match member {
                Member::Item(item) => match item.bare {
                    BareItem::Bytes(bytes) => Some(STANDARD.encode(bytes)),
                    _ => None,
                },
                Member::InnerList(..) => None,
            };
            (alg, bytes)
        })
        .collect();
    check_entries("Content-Digest", value, entries, body)
}

/// `entries` are (algorithm, base64 value or None when the value is not even of
/// the right shape).
fn check_entries(
    header: &str,
    value: &str,
    entries: Vec<(String, Option<String>)>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let mut recognised = 0;
    for (alg, b64) in entries {
        let Some(expected) = hash(&alg, body) else {
            continue;
        };
        recognised += 1;
        let given = b64
            .as_deref()
            .and_then(decode_base64_lenient)
            .ok_or_else(|| {
                SignatureError::Malformed(format!("{header} value for {alg} is not base64 bytes"))
            })?;
        if given != expected {
            return Err(SignatureError::DigestMismatch(format!("{alg} in {header}")));
        }
    }
    if recognised == 0 {
        let shown: String = value.chars().take(100).collect();
        return Err(SignatureError::UnsupportedDigest(shown));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"type":"Follow"}"#;

    fn b64(alg: &str, body: &[u8]) -> String {
        STANDARD.encode(hash(alg, body).unwrap_or_default())
    }

    #[test]
    fn generated_headers_check() {
        assert!(digest_header(BODY).starts_with("SHA-256="));
        assert_eq!(check_digest(&digest_header(BODY), BODY), Ok(()));
        assert!(content_digest_header(BODY).starts_with("sha-256=:"));
        assert_eq!(
            check_content_digest(&content_digest_header(BODY), BODY),
            Ok(())
        );
    }

    #[test]
    fn known_sha256_of_empty_body() {
        // SHA-256("") is the well-known e3b0c442…b855.
        assert_eq!(
            digest_header(b""),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn lowercase_names_several_algorithms_and_missing_padding() {
        let v = format!("sha-256={}", b64("sha-256", BODY));
        assert_eq!(check_digest(&v, BODY), Ok(()));
        let v = format!(
            "SHA-256={}, SHA-512={}",
            b64("sha-256", BODY),
            b64("sha-512", BODY)
        );
        assert_eq!(check_digest(&v, BODY), Ok(()));
        let v = format!(
            "MD5=abc,SHA-256={}",
            b64("sha-256", BODY).trim_end_matches('=')
        );
        assert_eq!(check_digest(&v, BODY), Ok(()));
    }

    #[test]
    fn every_recognised_algorithm_must_match() {
        let v = format!(
            "SHA-256={},SHA-512={}",
            b64("sha-256", BODY),
            b64("sha-512", b"other")
        );
        assert_eq!(
            check_digest(&v, BODY),
            Err(SignatureError::DigestMismatch("SHA-512 in Digest".into()))
        );
        let v = format!(
            "sha-256=:{}:, sha-512=:{}:",
            b64("sha-256", BODY),
            b64("sha-512", b"x")
        );
        assert!(matches!(
            check_content_digest(&v, BODY),
            Err(SignatureError::DigestMismatch(_))
        ));
    }

    #[test]
    fn changed_body_mismatches() {
        let header = digest_header(BODY);
        assert!(matches!(
            check_digest(&header, b"tampered"),
            Err(SignatureError::DigestMismatch(_))
        ));
        let header = content_digest_header(BODY);
        assert!(matches!(
            check_content_digest(&header, b"tampered"),
            Err(SignatureError::DigestMismatch(_))
        ));
    }

    #[test]
    fn only_unknown_algorithms_is_unsupported() {
        assert_eq!(
            check_digest("MD5=abc, UNIXsum=1", BODY),
            Err(SignatureError::UnsupportedDigest(
                "MD5=abc, UNIXsum=1".into()
            ))
        );
        assert!(matches!(
            check_content_digest("md5=:AAAA:", BODY),
            Err(SignatureError::UnsupportedDigest(_))
        ));
        assert!(matches!(
            check_digest("", BODY),
            Err(SignatureError::UnsupportedDigest(_))
        ));
    }

    #[test]
    fn malformed_values() {
        assert!(matches!(
            check_digest("SHA-256", BODY),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            check_digest("SHA-256=!!", BODY),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            check_content_digest("sha-256=abc", BODY),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            check_content_digest("sha-256=:AA", BODY),
            Err(SignatureError::Malformed(_))
        ));
    }
}
