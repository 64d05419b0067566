//! The reversible mapping between packages and fediverse usernames.
//!
//! Every package has exactly one handle (its actor's `preferredUsername`), and the
//! handle decodes back to the package's [`key`](crate::PackageId::key):
//!
//! - **Body.** Cargo, PyPI and generic handles are the key itself (`serde_json`,
//!   `django`, `zope-interface`), which is already lowercase `[a-z0-9_-]` and
//!   starts and ends with a letter, digit or `_`. npm names need the `_` escape
//!   described in `handle/npm_escape.rs`: `left-pad` and `lodash.merge` stay as
//!   they are, `@types/node` becomes `types__node`, `JSONStream` becomes
//!   `_j_s_o_n_stream`.
//! - **Prefix.** With one ecosystem enabled the body is the handle. With several,
//!   the handle is `<ecosystem>.<body>` (`cargo.serde`, `npm.types__node`);
//!   ecosystem names contain no `.`, so the first `.` ends the prefix.
//! - **Case.** Handles contain no uppercase letters and decoding lowercases its
//!   input first, because Mastodon and others match usernames case-insensitively
//!   and may hand back `Serde` for `serde`.
//! - **Length.** A body longer than [`MAX_BODY_LEN`] (so that the prefixed form
//!   stays within 128 characters) becomes `<cut body>_-<20 hex digits of
//!   SHA-256("<ecosystem>:<key>")>`. No ordinary body contains `_-`: Cargo keys
//!   have no `-`, PyPI keys no `_`, and in npm bodies a `_` is followed by `_`, a
//!   letter or a digit, while a `-` right after the `__` separator is escaped.
//!   So [`from_handle`] recognises these and answers [`Error::HashedHandle`]: the
//!   caller looks the handle up where it stored it.
//!
//! Decoding is strict: a username that names a package but is not its handle
//! (`serde-json`, `Zope.Interface`) is refused with
//! [`Error::NonCanonicalHandle`] carrying the real one, so no package ever has
//! two actors.

mod npm_escape;

use crate::{Ecosystem, Error, PackageId};

/// The longest username Mastodon and Misskey accept.
pub const MAX_USERNAME_LEN: usize = 128;

/// The longest handle body: room is kept for the longest prefix, `cargo.`, so a
/// package's body is the same whether one ecosystem is enabled or several.
pub const MAX_BODY_LEN: usize = MAX_USERNAME_LEN - "cargo.".len();

/// Separates the readable prefix of a hashed handle from its hash.
const HASH_MARKER: &str = "_-";
/// Hex digits of the digest kept in a hashed handle: 80 bits, far beyond what it
/// takes to find a second name hashing like an existing one.
const HASH_HEX_LEN: usize = 20;

/// The package's one handle: the bare body when `single_ecosystem`, else
/// `<ecosystem>.<body>`. Always matches `^\w([\w.-]*\w)?$`, is lowercase and at
/// most [`MAX_USERNAME_LEN`] characters.
pub fn to_handle(pkg: &PackageId, single_ecosystem: bool) -> String {
    let body = body(pkg);
    if single_ecosystem {
        body
    } else {
        format!("{}.{body}", pkg.ecosystem())
    }
}

/// Decodes a username into the ecosystem and [`key`](crate::PackageId::key) of the
/// package it is the handle of, case-insensitively.
///
/// `enabled` is the server's set of ecosystems: with one of them handles carry no
/// prefix, with several they must. Besides [`Error::InvalidHandle`], callers
/// should expect [`Error::HashedHandle`] (look the handle up by value),
/// [`Error::NonCanonicalHandle`] (redirect, or answer "not found") and
/// [`Error::EcosystemNotEnabled`].
pub fn from_handle(handle: &str, enabled: &[Ecosystem]) -> Result<(Ecosystem, String), Error> {
    let invalid = |reason: String| Error::InvalidHandle {
        handle: handle.to_owned(),
        reason,
    };
    if !is_valid_username(handle) {
        return Err(invalid(format!(
            "a handle is 1 to {MAX_USERNAME_LEN} ASCII letters, digits, '_', '.' and '-', \
             beginning and ending with a letter, digit or '_'"
        )));
    }
    let lower = handle.to_ascii_lowercase();
    let mut enabled = enabled.to_vec();
    enabled.sort_unstable();
    enabled.dedup();
    let single = enabled.len() == 1;

    let (ecosystem, body) = match enabled.as_slice() {
        [] => {
            return Err(invalid(
                "no package ecosystem is enabled on this server".into(),
            ));
        }
        [only] => (*only, lower.as_str()),
        _ => {
            let expected = || {
                enabled
                    .iter()
                    .map(|e| format!("{e}."))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let Some((prefix, body)) = lower.split_once('.') else {
                return Err(invalid(format!(
                    "this server serves several ecosystems, so a handle starts with one of {}",
                    expected()
                )));
            };
            let Ok(ecosystem) = prefix.parse::<Ecosystem>() else {
                return Err(invalid(format!(
                    "{prefix:?} is not an ecosystem; a handle starts with one of {}",
                    expected()
                )));
            };
            if !enabled.contains(&ecosystem) {
                return Err(Error::EcosystemNotEnabled {
                    ecosystem,
                    handle: handle.to_owned(),
                });
            }
            (ecosystem, body)
        }
    };

    if is_hashed(body) {
        return Err(Error::HashedHandle {
            ecosystem,
            handle: lower,
        });
    }
    let name = match ecosystem {
        Ecosystem::Npm => npm_escape::decode(body).map_err(invalid)?,
        Ecosystem::Cargo | Ecosystem::Pypi | Ecosystem::Generic => body.to_owned(),
    };
    let pkg = PackageId::new(ecosystem, &name).map_err(|e| match e {
        Error::InvalidName { rule, .. } => invalid(format!(
            "it would stand for the {ecosystem} package {name:?}, but {rule}"
        )),
        other => other,
    })?;
    let canonical = to_handle(&pkg, single);
    if canonical != lower {
        return Err(Error::NonCanonicalHandle {
            handle: handle.to_owned(),
            canonical,
        });
    }
    Ok((ecosystem, pkg.key()))
}

/// Whether `s` is a username Mastodon and Misskey accept: `^\w([\w.-]*\w)?$` with
/// ASCII `\w` (`[A-Za-z0-9_]`), at most [`MAX_USERNAME_LEN`] characters.
pub fn is_valid_username(s: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            bytes.len() <= MAX_USERNAME_LEN
                && word(first)
                && word(last)
                && bytes.iter().all(|b| word(b) || *b == b'.' || *b == b'-')
        }
        _ => false,
    }
}

/// The handle without its ecosystem prefix.
fn body(pkg: &PackageId) -> String {
    let key = pkg.key();
    let units = match pkg.ecosystem() {
        Ecosystem::Npm => npm_escape::encode(&key),
        Ecosystem::Cargo | Ecosystem::Pypi | Ecosystem::Generic => {
            key.chars().map(String::from).collect()
        }
    };
    if units.iter().map(String::len).sum::<usize>() <= MAX_BODY_LEN {
        return units.concat();
    }
    hashed_body(pkg.ecosystem(), &key, &units)
}

/// `<as many whole escape units as fit>_-<hash>`, for keys too long to spell out.
fn hashed_body(ecosystem: Ecosystem, key: &str, units: &[String]) -> String {
    let room = MAX_BODY_LEN - HASH_MARKER.len() - HASH_HEX_LEN;
    let mut prefix = String::with_capacity(MAX_BODY_LEN);
    for unit in units {
        if prefix.len() + unit.len() > room {
            break;
        }
        prefix.push_str(unit);
    }
    // Cosmetic: `foo-_-…` reads worse than `foo_-…`. The first unit is never `.`
    // or `-`, so the prefix stays non-empty.
    let prefix = prefix.trim_end_matches(['.', '-']);
    let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{ecosystem}:{key}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{HASH_MARKER}{}", &hex[..HASH_HEX_LEN])
}

/// Whether a lowercase body has the hashed long-name form.
fn is_hashed(body: &str) -> bool {
    let tail_len = HASH_MARKER.len() + HASH_HEX_LEN;
    body.len() > tail_len
        && body.is_char_boundary(body.len() - tail_len)
        && body[body.len() - tail_len..]
            .strip_prefix(HASH_MARKER)
            .is_some_and(|hex| {
                hex.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
}

#[cfg(test)]
mod tests;
