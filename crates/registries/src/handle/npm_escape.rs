//! The escape that fits any npm name into the lowercase username alphabet.
//!
//! npm names are case-sensitive and may contain `_ ~ ' ! ( ) *` and an `@scope/`
//! prefix, while a handle is `[a-z0-9_.-]` and must begin and end with
//! `[a-z0-9_]`. `_` is the escape character, and what follows it decides the
//! meaning, so decoding never has to guess:
//!
//! | handle     | name                   | example                               |
//! |------------|------------------------|---------------------------------------|
//! | `__`       | the `/` of `@scope/`   | `types__node` is `@types/node`        |
//! | `_` letter | that letter uppercased | `_j_s_o_n_stream` is `JSONStream`     |
//! | `_` 2 hex  | that ASCII character   | `_5f` is `_`, `_21` is `!`            |
//!
//! `a-z`, `0-9`, `.` and `-` stand for themselves, except a `.` or `-` that would
//! begin or end the handle or directly follow the `__` separator, which takes its
//! hex escape (`_2e`, `_2d`): usernames must begin and end with a word character,
//! and `_-` is reserved for hashed long-name handles. Every character a valid npm
//! name can contain has a code from 0x21 to 0x7e, so its first hex digit is a
//! digit and `_` + digit never clashes with `_` + letter. `__` appears at most
//! once.
//!
//! The `__` boundary follows the DefinitelyTyped convention (`@babel/core`'s
//! types live in `@types/babel__core`), which npm users already read as
//! "scope, then name".

/// What a handle uses for the `/` between an npm scope and its name.
const SCOPE_SEPARATOR: &str = "__";

/// Encodes a valid npm name into escape units whose concatenation is the handle
/// body. Units are kept apart so a too-long body can be cut between escapes.
pub(super) fn encode(name: &str) -> Vec<String> {
    let mut units = Vec::with_capacity(name.len());
    // Indices of units that must not be a literal `.` or `-`: the first and last
    // (a username begins and ends with a word character) and the one after the
    // scope separator (so that `_-`, the hashed-handle marker, never appears).
    let mut guarded = vec![0];
    let bare = match name.strip_prefix('@').and_then(|s| s.split_once('/')) {
        Some((scope, bare)) => {
            units.extend(scope.chars().map(escape));
            units.push(SCOPE_SEPARATOR.to_owned());
            guarded.push(units.len());
            bare
        }
        None => name,
    };
    units.extend(bare.chars().map(escape));
    guarded.push(units.len().saturating_sub(1));
    for i in guarded {
        if let Some(unit) = units.get_mut(i)
            && (unit == "." || unit == "-")
        {
            *unit = format!("_{:02x}", unit.as_bytes()[0]);
        }
    }
    units
}

fn escape(c: char) -> String {
    match c {
        'a'..='z' | '0'..='9' | '.' | '-' => c.to_string(),
        'A'..='Z' => format!("_{}", c.to_ascii_lowercase()),
        // Valid npm names are ASCII, so this is always two hex digits.
        _ => format!("_{:02x}", u32::from(c)),
    }
}

/// Decodes a lowercase handle body back into the npm name it stands for.
///
/// Only the escape grammar is checked here; the caller validates the name and
/// re-encodes it to reject non-canonical spellings such as `_61` for `a`.
pub(super) fn decode(body: &str) -> Result<String, String> {
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    // Where in `out` the scope ends, once the separator has been seen.
    let mut scope_end = None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'_' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'_') if scope_end.is_none() => {
                scope_end = Some(out.len());
                i += 2;
            }
            Some(b'_') => return Err("the scope separator '__' appears more than once".into()),
            Some(&letter) if letter.is_ascii_lowercase() => {
                out.push(char::from(letter.to_ascii_uppercase()));
                i += 2;
            }
            Some(&high) if high.is_ascii_digit() => {
                let byte = bytes
                    .get(i + 2)
                    .and_then(|&low| char::from(low).to_digit(16))
                    .map(|low| (u32::from(high - b'0') << 4) | low)
                    .and_then(|code| u8::try_from(code).ok())
                    .filter(u8::is_ascii)
                    .ok_or_else(|| {
                        format!(
                            "the escape at position {} needs two hex digits of an ASCII character",
                            i + 1
                        )
                    })?;
                out.push(char::from(byte));
                i += 3;
            }
            _ => {
                return Err(format!(
                    "'_' at position {} must be followed by '_', a letter or two hex digits",
                    i + 1
                ));
            }
        }
    }
    Ok(match scope_end {
        Some(at) => format!("@{}/{}", &out[..at], &out[at..]),
        None => out,
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    fn body(name: &str) -> String {
        encode(name).concat()
    }

    #[test]
    fn common_names_stay_readable() {
        assert_eq!(body("left-pad"), "left-pad");
        assert_eq!(body("lodash.merge"), "lodash.merge");
        assert_eq!(body("@types/node"), "types__node");
        assert_eq!(body("@babel/core"), "babel__core");
    }

    #[test]
    fn escapes() {
        assert_eq!(body("JSONStream"), "_j_s_o_n_stream");
        assert_eq!(body("node_redis"), "node_5fredis");
        assert_eq!(body("lodash._baseclone"), "lodash._5fbaseclone");
        assert_eq!(body("@types/babel__core"), "types__babel_5f_5fcore");
        assert_eq!(body("-"), "_2d");
        assert_eq!(body("-x-"), "_2dx_2d");
        assert_eq!(body("a."), "a_2e");
        assert_eq!(body("@-a/b."), "_2da__b_2e");
        assert_eq!(body("@a/-b"), "a___2db");
        assert_eq!(body("@a/b-"), "a__b_2d");
        assert_eq!(body("x~'!()*"), "x_7e_27_21_28_29_2a");
    }

    #[test]
    fn decodes_what_it_encodes() {
        for name in [
            "left-pad",
            "@types/node",
            "JSONStream",
            "@types/babel__core",
            "-x-",
            "x~'!()*",
            "@A_b/C",
        ] {
            assert_eq!(decode(&body(name)).unwrap(), name);
        }
    }

    #[test]
    fn rejects_malformed_escapes() {
        assert!(decode("a__b__c").unwrap_err().contains("more than once"));
        assert!(decode("a_").unwrap_err().contains("position 2"));
        assert!(decode("a_.b").unwrap_err().contains("position 2"));
        assert!(decode("a_2").unwrap_err().contains("two hex digits"));
        assert!(decode("a_2g").unwrap_err().contains("two hex digits"));
        assert!(decode("a_9f").unwrap_err().contains("ASCII"));
    }
}
