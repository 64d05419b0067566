//! Key generation, PEM round trips and verification with each key type.

#![allow(clippy::unwrap_used)]

use aws_lc_rs::signature::KeyPair as _;

use super::pem::{MAX_PEM_LEN, pem_encode};
use super::*;

#[test]
fn public_pem_has_mastodon_shape_and_round_trips() {
    let key = test_keys::rsa();
    let pem = key.public_key_pem();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(pem.ends_with("\n-----END PUBLIC KEY-----\n"));
    let body: Vec<&str> = pem
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----"))
        .collect();
    assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
    assert_eq!(PublicKey::from_pem(&pem).unwrap(), key.public_key());
}

#[test]
fn public_pem_tolerates_crlf_and_surrounding_whitespace() {
    let key = test_keys::rsa();
    let pem = format!("\n  {}  \n", key.public_key_pem().replace('\n', "\r\n"));
    let parsed = PublicKey::from_pem(&pem).unwrap();
    let sig = key.sign_pkcs1_sha256(b"hello").unwrap();
    parsed.verify_pkcs1_sha256(b"hello", &sig).unwrap();
}

#[test]
fn pkcs1_rsa_public_key_is_accepted() {
    let key = test_keys::rsa();
    let pkcs1 = key.pair.public_key().as_ref().to_vec();
    let parsed = PublicKey::from_pem(&pem_encode("RSA PUBLIC KEY", &pkcs1)).unwrap();
    assert!(parsed.is_rsa());
    let sig = key.sign_pkcs1_sha256(b"m").unwrap();
    parsed.verify_pkcs1_sha256(b"m", &sig).unwrap();
}

#[test]
fn private_pem_round_trips_and_debug_hides_key() {
    let key = test_keys::rsa();
    let pem = key.to_pkcs8_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let back = RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
    assert_eq!(back.public_key_pem(), key.public_key_pem());
    let debug = format!("{key:?}");
    assert_eq!(debug, "RsaPrivateKey { bits: 2048, .. }");
}

#[test]
fn pkcs1_private_key_is_accepted() {
    // PKCS#8 wraps the PKCS#1 RSAPrivateKey in a trailing OCTET STRING; for a
    // 2048-bit key that string's header is `04 82 len len`.
    let pkcs8 = &test_keys::rsa().pkcs8;
    let pos = pkcs8.windows(2).rposition(|w| w == [0x04, 0x82]).unwrap();
    let pkcs1 = &pkcs8[pos + 4..];
    let back = RsaPrivateKey::from_pkcs8_pem(&pem_encode("RSA PRIVATE KEY", pkcs1)).unwrap();
    assert_eq!(back.public_key(), test_keys::rsa().public_key());
}

#[test]
fn pss_and_ed25519_sign_and_verify() {
    let rsa = test_keys::rsa();
    let sig = rsa.sign_pss_sha512(b"m").unwrap();
    rsa.public_key().verify_pss_sha512(b"m", &sig).unwrap();
    assert_eq!(
        rsa.public_key().verify_pkcs1_sha256(b"m", &sig),
        Err(KeyError::BadSignature)
    );

    let ed = test_keys::ed25519();
    let parsed = PublicKey::from_pem(&ed.public_key_pem()).unwrap();
    assert_eq!(parsed, ed.public_key());
    assert!(!parsed.is_rsa());
    parsed.verify_ed25519(b"m", &ed.sign(b"m")).unwrap();
    assert_eq!(
        parsed.verify_ed25519(b"n", &ed.sign(b"m")),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn wrong_key_type_is_reported() {
    let ed = test_keys::ed25519().public_key();
    assert!(matches!(
        ed.verify_pkcs1_sha256(b"m", b"s"),
        Err(KeyError::WrongKeyType {
            actual: "Ed25519",
            ..
        })
    ));
    let rsa = test_keys::rsa().public_key();
    assert!(matches!(
        rsa.verify_ed25519(b"m", b"s"),
        Err(KeyError::WrongKeyType { .. })
    ));
}

#[test]
fn garbage_is_rejected_with_reasons() {
    assert!(matches!(
        PublicKey::from_pem("hello"),
        Err(KeyError::Pem(_))
    ));
    let bad_b64 = "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n";
    assert!(matches!(
        PublicKey::from_pem(bad_b64),
        Err(KeyError::Pem(_))
    ));
    let cert = pem_encode("CERTIFICATE", b"xyz");
    assert!(matches!(
        PublicKey::from_pem(&cert),
        Err(KeyError::Unsupported(_))
    ));
    let junk = pem_encode("PUBLIC KEY", b"not der at all");
    assert!(matches!(
        PublicKey::from_pem(&junk),
        Err(KeyError::Unsupported(_))
    ));
    let unterminated = "-----BEGIN PUBLIC KEY-----\nAAAA\n";
    assert!(matches!(
        PublicKey::from_pem(unterminated),
        Err(KeyError::Pem(_))
    ));
    let huge = "A".repeat(MAX_PEM_LEN + 1);
    assert!(matches!(PublicKey::from_pem(&huge), Err(KeyError::Pem(_))));
    assert!(RsaPrivateKey::from_pkcs8_pem(&pem_encode("PRIVATE KEY", b"junk")).is_err());
}
