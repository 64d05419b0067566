//! Each ecosystem's package naming rules, and its notion of which names are equal.
//!
//! Validation returns the broken rule as a sentence naming its source (the Cargo
//! registry's rule, npm's rule, PEP 508), because the message ends up in front of
//! someone who typed a name into a search box.

use crate::Ecosystem;

/// Longest crate name the Cargo registry accepts.
pub(crate) const CARGO_MAX_LEN: usize = 64;
/// Longest npm name, scope included, the npm registry accepts for new packages.
pub(crate) const NPM_MAX_LEN: usize = 214;
/// Names npm refuses outright, compared case-insensitively.
const NPM_RESERVED: [&str; 2] = ["node_modules", "favicon.ico"];

/// Checks `name` against `ecosystem`'s rules; `Err` holds the broken rule.
pub(crate) fn validate(ecosystem: Ecosystem, name: &str) -> Result<(), String> {
    match ecosystem {
        Ecosystem::Cargo => validate_cargo(name),
        Ecosystem::Npm => validate_npm(name),
        Ecosystem::Pypi => validate_pypi(name),
        Ecosystem::Generic => validate_generic(name),
    }
}

/// Longest generic project name.
pub(crate) const GENERIC_MAX_LEN: usize = 64;

/// Generic names: ASCII letters and digits, with single `-`, `_` or `.` between
/// them (so a handle body never contains the `_-` of hashed handles).
fn validate_generic(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a project name must not be empty".into());
    }
    if name.len() > GENERIC_MAX_LEN {
        return Err(format!(
            "a project name has at most {GENERIC_MAX_LEN} characters"
        ));
    }
    if let Some(bad) = first_disallowed(name, |c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(format!(
            "a project name has only ASCII letters, digits, '-', '_' and '.', not {bad}"
        ));
    }
    let bytes = name.as_bytes();
    let sep = |b: &u8| !b.is_ascii_alphanumeric();
    if sep(&bytes[0])
        || sep(&bytes[bytes.len() - 1])
        || bytes.windows(2).any(|w| sep(&w[0]) && sep(&w[1]))
    {
        return Err(
            "a project name starts and ends with a letter or digit, with single '-', '_' or '.' between them"
                .into(),
        );
    }
    Ok(())
}

/// The identity of a (valid) name: two names are the same package exactly when
/// their keys are equal.
pub(crate) fn key(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        // Cargo treats `-` and `_` as the same character and ignores case.
        Ecosystem::Cargo => name.to_ascii_lowercase().replace('-', "_"),
        // npm names are compared byte for byte: legacy packages such as
        // `JSONStream` differ from their lowercase namesakes.
        Ecosystem::Npm => name.to_owned(),
        Ecosystem::Pypi => pep503_normalise(name),
        Ecosystem::Generic => name.to_ascii_lowercase(),
    }
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
fn pep503_normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    out
}

/// Describes the first character of `name` outside `allowed`, with its position.
fn first_disallowed(name: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    name.chars()
        .enumerate()
        .find(|&(_, c)| !allowed(c))
        .map(|(i, c)| format!("found {c:?} at position {}", i + 1))
}

fn validate_cargo(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("crate names must not be empty (Cargo registry rule)".into());
    }
    if let Some(found) =
        first_disallowed(name, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "crate names may contain only ASCII letters, digits, '-' and '_' \
             (Cargo registry rule); {found}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("crate names must start with an ASCII letter (Cargo registry rule)".into());
    }
    if name.len() > CARGO_MAX_LEN {
        return Err(format!(
            "crate names are at most {CARGO_MAX_LEN} characters (Cargo registry rule); \
             this one has {}",
            name.len()
        ));
    }
    Ok(())
}

/// npm's "URL-friendly" characters: those `encodeURIComponent` leaves alone.
/// `~ ' ! ( ) *` are refused for new packages but exist in legacy ones.
fn npm_url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '\'' | '!' | '(' | ')' | '*')
}

fn validate_npm(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("npm package names must not be empty (npm naming rule)".into());
    }
    let length = name.chars().count();
    if length > NPM_MAX_LEN {
        return Err(format!(
            "npm package names are at most {NPM_MAX_LEN} characters, scope included \
             (npm naming rule); this one has {length}"
        ));
    }
    if NPM_RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(format!("{name:?} is a reserved name (npm naming rule)"));
    }
    let bare = match name.strip_prefix('@') {
        Some(scoped) => {
            let Some((scope, bare)) = scoped.split_once('/') else {
                return Err(
                    "a scoped npm name has the form @scope/name; the '/' is missing".into(),
                );
            };
            if scope.is_empty() || bare.is_empty() {
                return Err(
                    "a scoped npm name has the form @scope/name with a non-empty \
                            scope and name"
                        .into(),
                );
            }
            if let Some(found) = first_disallowed(scope, npm_url_safe) {
                return Err(format!(
                    "npm scopes may contain only URL-friendly characters: ASCII letters, \
                     digits and - . _ ~ ' ! ( ) * (npm naming rule); {found} of the scope"
                ));
            }
            bare
        }
        None => {
            if name.starts_with('_') {
                return Err("npm package names must not start with '_' (npm naming rule)".into());
            }
            name
        }
    };
    if bare.starts_with('.') {
        return Err("npm package names must not start with '.' (npm naming rule)".into());
    }
    if let Some(found) = first_disallowed(bare, npm_url_safe) {
        return Err(format!(
            "npm package names may contain only URL-friendly characters: ASCII letters, \
             digits and - . _ ~ ' ! ( ) *, plus '@' and '/' in an @scope/ prefix \
             (npm naming rule); {found}{}",
            if bare.len() < name.len() {
                " of the name after the scope"
            } else {
                ""
            }
        ));
    }
    Ok(())
}

fn validate_pypi(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("project names must not be empty (PEP 508)".into());
    }
    if let Some(found) = first_disallowed(name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    }) {
        return Err(format!(
            "project names may contain only ASCII letters, digits, '.', '_' and '-' \
             (PEP 508); {found}"
        ));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !name.starts_with(alnum) || !name.ends_with(alnum) {
        return Err(
            "project names must start and end with an ASCII letter or digit \
                    (PEP 508)"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(eco: Ecosystem, name: &str) -> String {
        match validate(eco, name) {
            Ok(()) => panic!("{name:?} should be an invalid {eco} name"),
            Err(rule) => rule,
        }
    }

    #[test]
    fn valid_names() {
        for name in [
            "serde",
            "serde_json",
            "serde-json",
            "Serde_JSON",
            "a",
            "x86_64-",
        ] {
            assert_eq!(validate(Ecosystem::Cargo, name), Ok(()), "{name}");
        }
        for name in [
            "left-pad",
            "lodash.merge",
            "@types/node",
            "@babel/core",
            "JSONStream",
            "-",
            "a.",
            "lodash._baseclone",
            "@scope/_private",
            "@types/babel__core",
            "legacy!(name)*~'",
        ] {
            assert_eq!(validate(Ecosystem::Npm, name), Ok(()), "{name}");
        }
        for name in [
            "Django",
            "requests",
            "zope.interface",
            "a",
            "1",
            "Foo__Bar-.baz",
        ] {
            assert_eq!(validate(Ecosystem::Pypi, name), Ok(()), "{name}");
        }
    }

    #[test]
    fn cargo_rules() {
        assert!(rule(Ecosystem::Cargo, "").contains("must not be empty"));
        assert!(rule(Ecosystem::Cargo, "9lives").contains("must start with an ASCII letter"));
        assert!(rule(Ecosystem::Cargo, "_x").contains("must start with an ASCII letter"));
        let r = rule(Ecosystem::Cargo, "serde.json");
        assert!(
            r.contains("'.' at position 6") && r.contains("Cargo registry rule"),
            "{r}"
        );
        assert!(rule(Ecosystem::Cargo, "naïve").contains("'ï' at position 3"));
        let long = "a".repeat(65);
        let r = rule(Ecosystem::Cargo, &long);
        assert!(
            r.contains("at most 64 characters") && r.contains("this one has 65"),
            "{r}"
        );
        assert_eq!(validate(Ecosystem::Cargo, &long[..64]), Ok(()));
    }

    #[test]
    fn npm_rules() {
        assert!(rule(Ecosystem::Npm, ".hidden").contains("must not start with '.'"));
        assert!(rule(Ecosystem::Npm, "_private").contains("must not start with '_'"));
        assert!(rule(Ecosystem::Npm, "@scope/.x").contains("must not start with '.'"));
        assert!(rule(Ecosystem::Npm, "@types").contains("'/' is missing"));
        assert!(rule(Ecosystem::Npm, "@/node").contains("non-empty scope and name"));
        assert!(rule(Ecosystem::Npm, "@types/").contains("non-empty scope and name"));
        assert!(rule(Ecosystem::Npm, "@a/b/c").contains("'/' at position 2"));
        assert!(rule(Ecosystem::Npm, "@a b/c").contains("of the scope"));
        assert!(rule(Ecosystem::Npm, "a/b").contains("'/' at position 2"));
        assert!(rule(Ecosystem::Npm, "left pad").contains("' ' at position 5"));
        assert!(rule(Ecosystem::Npm, "Node_Modules").contains("reserved name"));
        assert!(rule(Ecosystem::Npm, "favicon.ico").contains("reserved name"));
        let long = "a".repeat(215);
        assert!(rule(Ecosystem::Npm, &long).contains("at most 214 characters"));
        assert_eq!(validate(Ecosystem::Npm, &long[..214]), Ok(()));
    }

    #[test]
    fn pypi_rules() {
        assert!(rule(Ecosystem::Pypi, "-foo").contains("start and end with"));
        assert!(rule(Ecosystem::Pypi, "foo.").contains("start and end with"));
        assert!(rule(Ecosystem::Pypi, "foo bar").contains("PEP 508"));
        assert!(rule(Ecosystem::Pypi, "").contains("must not be empty"));
    }

    #[test]
    fn keys_follow_each_ecosystems_equality() {
        assert_eq!(key(Ecosystem::Cargo, "Serde-JSON"), "serde_json");
        assert_eq!(key(Ecosystem::Pypi, "Django"), "django");
        assert_eq!(key(Ecosystem::Pypi, "Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(key(Ecosystem::Pypi, "zope.interface"), "zope-interface");
        assert_eq!(key(Ecosystem::Npm, "JSONStream"), "JSONStream");
    }

    #[test]
    fn generic_names_are_plain_words_with_single_separators() {
        for name in ["mytool", "My-Tool", "tool.cli", "a", "x_1.2"] {
            assert_eq!(validate(Ecosystem::Generic, name), Ok(()), "{name}");
        }
        assert!(rule(Ecosystem::Generic, "").contains("must not be empty"));
        assert!(rule(Ecosystem::Generic, "-tool").contains("single"));
        assert!(rule(Ecosystem::Generic, "tool-").contains("single"));
        // `_-` would look like a hashed handle.
        assert!(rule(Ecosystem::Generic, "a_-b").contains("single"));
        assert!(rule(Ecosystem::Generic, "my tool").contains("' ' at position"));
        assert!(rule(Ecosystem::Generic, &"a".repeat(65)).contains("at most 64"));
        assert_eq!(key(Ecosystem::Generic, "My-Tool"), "my-tool");
    }
}
