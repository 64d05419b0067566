//! Ed25519 keys published as `Multikey` verification methods (FEP-521a).
//!
//! Fedify, Hollo and others list Ed25519 keys under `assertionMethod` as
//! `{"type": "Multikey", "publicKeyMultibase": "z6Mk..."}`: base58btc, the
//! multicodec prefix `0xed 0x01`, then the 32 raw key bytes. pkgfed's key
//! handling speaks PEM, so this turns them into an SPKI PEM like the ones
//! `publicKeyPem` carries. Other key types are ignored.

use base64::Engine as _;

/// Multicodec varint for `ed25519-pub`.
const ED25519_PUB_PREFIX: [u8; 2] = [0xed, 0x01];

/// DER `SubjectPublicKeyInfo` header for an Ed25519 key (OID 1.3.101.112),
/// followed by the 32 key bytes.
const ED25519_SPKI_HEADER: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// An Ed25519 key is ~48 base58 characters; anything much longer is not one,
/// and refusing it early keeps the quadratic decoder cheap on hostile input.
const MAX_MULTIBASE_LEN: usize = 128;

const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The SPKI PEM of an Ed25519 `publicKeyMultibase`, or `None` when it is not
/// a well-formed base58btc Ed25519 multikey.
pub(crate) fn ed25519_multibase_to_pem(multibase: &str) -> Option<String> {
    let encoded = multibase.strip_prefix('z')?;
    if encoded.len() > MAX_MULTIBASE_LEN {
        return None;
    }
    let decoded = base58_decode(encoded)?;
    let key = decoded.strip_prefix(&ED25519_PUB_PREFIX[..])?;
    if key.len() != 32 {
        return None;
    }
    let mut der = ED25519_SPKI_HEADER.to_vec();
    der.extend_from_slice(key);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    Some(format!(
        "-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
    ))
}

/// Bitcoin-alphabet base58, big-endian; each leading `1` is a zero byte.
fn base58_decode(text: &str) -> Option<Vec<u8>> {
    let mut number: Vec<u8> = Vec::new(); // little-endian base-256 digits
    for character in text.bytes() {
        let mut carry = BASE58_ALPHABET.iter().position(|&a| a == character)? as u32;
        for digit in &mut number {
            carry += u32::from(*digit) * 58;
            *digit = (carry & 0xff) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let leading_zeros = text.bytes().take_while(|&c| c == b'1').count();
    let mut bytes = vec![0; leading_zeros];
    bytes.extend(number.iter().rev());
    Some(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 8032 section 7.1, test 1 public key, as a Multikey.
    const RFC8032_TEST1: &str = "z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw";

    #[test]
    fn ed25519_multikey_becomes_spki_pem() {
        let pem = ed25519_multibase_to_pem(RFC8032_TEST1).unwrap();
        assert_eq!(
            pem,
            "-----BEGIN PUBLIC KEY-----\n\
             MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
             -----END PUBLIC KEY-----\n"
        );
    }

    #[test]
    fn base58_known_values() {
        assert_eq!(base58_decode("Cn8eVZg").unwrap(), b"hello");
        assert_eq!(base58_decode("112").unwrap(), [0, 0, 1]);
        assert_eq!(base58_decode("").unwrap(), Vec::<u8>::new());
        assert!(base58_decode("0OIl").is_none());
    }

    #[test]
    fn non_ed25519_or_malformed_multikeys_are_ignored() {
        // Wrong multibase prefix (base64url 'u'), wrong codec, truncated, junk.
        assert!(ed25519_multibase_to_pem(&RFC8032_TEST1.replacen('z', "u", 1)).is_none());
        assert!(ed25519_multibase_to_pem("zCn8eVZg").is_none());
        assert!(ed25519_multibase_to_pem(&RFC8032_TEST1[..30]).is_none());
        assert!(ed25519_multibase_to_pem("z0000").is_none());
        assert!(ed25519_multibase_to_pem(&format!("z{}", "2".repeat(500))).is_none());
    }
}
