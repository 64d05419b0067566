//! PEM, the text armour ActivityPub uses for keys (`publicKeyPem`): base64 of
//! the DER between `-----BEGIN <label>-----` and `-----END <label>-----` lines.
//!
//! Small enough to write here rather than take a dependency; tolerant of the
//! `\r\n` line endings and stray whitespace found in the wild.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::KeyError;

/// Upper bound on PEM input; real keys are under 4 KiB, so anything far larger is
/// not a key and is refused before decoding.
pub(super) const MAX_PEM_LEN: usize = 64 * 1024;

/// Encodes DER as PEM with 64-character lines and a trailing newline.
pub(super) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 output is ASCII, so chunking bytes never splits a character.
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block in `pem`, returning its label and DER bytes.
/// Whitespace of any kind (`\r\n`, indentation) inside and around it is ignored.
pub(super) fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), KeyError> {
    if pem.len() > MAX_PEM_LEN {
        return Err(KeyError::Pem(format!("longer than {MAX_PEM_LEN} bytes")));
    }
    let err = |m: &str| KeyError::Pem(m.to_owned());
    let start = pem
        .find("-----BEGIN ")
        .ok_or_else(|| err("no `-----BEGIN` line"))?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| err("unterminated `-----BEGIN` line"))?;
    let label = &rest[..label_end];
    let body_and_end = &rest[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let body_end = body_and_end
        .find(&end_marker)
        .ok_or_else(|| KeyError::Pem(format!("no `{end_marker}` line")))?;
    let body = &body_and_end[..body_end];
    if body.contains(':') {
        return Err(err(
            "encrypted or annotated PEM (header lines) is not supported",
        ));
    }
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD
        .decode(b64)
        .map_err(|e| KeyError::Pem(format!("bad base64: {e}")))?;
    if der.is_empty() {
        return Err(err("empty PEM body"));
    }
    Ok((label.to_owned(), der))
}
