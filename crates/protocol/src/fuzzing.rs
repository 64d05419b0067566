//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off by default).
//!
//! The RFC 8941 structured-field parser is private to the signature code: in
//! production it only sees `Signature-Input`, `Signature` and `Content-Digest`
//! values through [`crate::signatures::parse_request`]. The fuzz targets also
//! drive it directly, with a round-trip oracle, through this module. Nothing
//! here is part of the crate's supported API; it exists only when the `fuzzing`
//! feature is on.

use crate::signatures::structured::{Member, parse_dictionary, serialize_inner_list};

/// Parses `input` as a structured-field dictionary and checks the property the
/// RFC 9421 signature base relies on: every inner list, serialised canonically
/// and parsed again, is the same list. Returns how many members were parsed, or
/// the parser's message for malformed input.
///
/// # Panics
/// When the round trip changes an inner list: that is the bug being hunted
/// (a signer and a verifier would then build different signature bases).
pub fn structured_dictionary(input: &str) -> Result<usize, String> {
    let dictionary = parse_dictionary(input)?;
    for (key, member) in &dictionary {
        if let Member::InnerList(items, params) = member {
            let canonical = format!("{key}={}", serialize_inner_list(items, params));
            let again = parse_dictionary(&canonical).map_err(|message| {
                format!("canonical form `{canonical}` of `{input}` does not parse: {message}")
            });
            // A failure to re-parse is as much a bug as a changed value.
            let again = match again {
                Ok(again) => again,
                Err(message) => panic!("{message}"),
            };
            assert_eq!(
                again.as_slice(),
                &[(key.clone(), member.clone())],
                "round trip of `{input}` through `{canonical}` changed the inner list"
            );
        }
    }
    Ok(dictionary.len())
}
