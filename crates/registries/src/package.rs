//! [`PackageId`]: a validated package name in one ecosystem, its identity key and
//! its package URL (purl), plus [`parse_purl`] for the way back.
//!
//! Purls follow the purl specification's type rules for `cargo`, `npm` and `pypi`
//! with one deliberate exception: npm names keep their case. The specification
//! lowercases npm names because new packages must be lowercase, but a handful of
//! legacy packages (`JSONStream`) are distinct from their lowercase namesakes, and
//! lowercasing would point their purl at a different package. For every name npm
//! accepts today the output is exactly the specification's.

pub(crate) mod rules;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::{Ecosystem, Error};

/// What a purl component may contain unencoded: the specification's alphanumeric
/// and punctuation characters, and the colon, which it says never to encode.
const PURL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// A package of one ecosystem, under a name that passed that ecosystem's rules.
///
/// Equality compares the spelling, so `serde-json` and `serde_json` are unequal
/// values naming the same crate; compare [`PackageId::key`] for identity. Build
/// it from the registry's own spelling where you have it, since [`name`] and
/// [`purl`] keep what was given.
///
/// [`name`]: PackageId::name
/// [`purl`]: PackageId::purl
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PackageId {
    ecosystem: Ecosystem,
    /// The display name exactly as given; never normalised, because users expect
    /// `Django` and `serde_json` as the registry spells them.
    name: String,
}

impl PackageId {
    /// Validates `name` against `ecosystem`'s naming rules.
    ///
    /// The error names the rule that was broken, e.g. "crate names must start
    /// with an ASCII letter (Cargo registry rule)".
    pub fn new(ecosystem: Ecosystem, name: &str) -> Result<Self, Error> {
        rules::validate(ecosystem, name).map_err(|rule| Error::InvalidName {
            ecosystem,
            name: name.to_owned(),
            rule,
        })?;
        Ok(PackageId {
            ecosystem,
            name: name.to_owned(),
        })
    }

    /// The ecosystem this package belongs to.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// The name as given, e.g. `"serde_json"`, `"@types/node"`, `"Django"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The normalised identity: equal keys are the same package.
    ///
    /// Cargo: lowercase with `-` → `_`. PyPI: PEP 503 (lowercase, each run of
    /// `-`, `_`, `.` → `-`). npm: the name unchanged, since legacy npm names are
    /// case-sensitive.
    pub fn key(&self) -> String {
        rules::key(self.ecosystem, &self.name)
    }

    /// The canonical package URL without version: `pkg:cargo/serde`,
    /// `pkg:npm/%40types/node`, `pkg:pypi/django`.
    pub fn purl(&self) -> String {
        let encode = |s: &str| utf8_percent_encode(s, PURL_COMPONENT).to_string();
        let path = match self.ecosystem {
            Ecosystem::Cargo => encode(&self.name),
            // The purl pypi rule: lowercase and `_` → `-`; dots are kept.
            Ecosystem::Pypi => encode(&self.name.to_ascii_lowercase().replace('_', "-")),
            Ecosystem::Generic => encode(&self.name.to_ascii_lowercase()),
            Ecosystem::Npm => match self.name.strip_prefix('@').and_then(|s| s.split_once('/')) {
                // The scope is the namespace, its '@' always percent-encoded.
                Some((scope, bare)) => format!("%40{}/{}", encode(scope), encode(bare)),
                None => encode(&self.name),
            },
        };
        format!("pkg:{}/{path}", self.ecosystem)
    }

    /// The package URL of one version: `pkg:cargo/serde@1.0.217`.
    pub fn purl_with_version(&self, version: &str) -> String {
        format!(
            "{}@{}",
            self.purl(),
            utf8_percent_encode(version, PURL_COMPONENT)
        )
    }
}

/// Parses a package URL of a supported type into the package and its version.
///
/// Accepted beyond the canonical form: any case in `pkg:` and the type, slashes
/// after `pkg:` (`pkg://npm/…`), and an unencoded npm scope (`pkg:npm/@types/node`,
/// which is what a `%40` turns into after one round of URL decoding). A subpath
/// (`#…`) is ignored, since it only addresses a file inside the same package.
/// Qualifiers (`?…`) with a value are rejected: one of them, `repository_url`,
/// moves the package to another registry, and silently answering for the default
/// registry's package of that name would be wrong.
///
/// The returned name is the purl's name, decoded; for PyPI that is the purl's
/// normalised spelling (`django`), not the registry's display name.
pub fn parse_purl(s: &str) -> Result<(PackageId, Option<String>), Error> {
    let invalid = |reason: String| Error::InvalidPurl {
        purl: s.to_owned(),
        reason,
    };

    let without_subpath = s.rsplit_once('#').map_or(s, |(left, _subpath)| left);
    let rest = match without_subpath.rsplit_once('?') {
        Some((left, qualifiers)) => {
            // The specification discards pairs with an empty value.
            if qualifiers
                .split('&')
                .any(|pair| pair.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
            {
                return Err(invalid(
                    "qualifiers are not supported; remove the '?…' part to name the package \
                     in its default registry"
                        .into(),
                ));
            }
            left
        }
        None => without_subpath,
    };
    let Some((scheme, rest)) = rest.split_once(':') else {
        return Err(invalid("a package URL starts with 'pkg:'".into()));
    };
    if !scheme.eq_ignore_ascii_case("pkg") {
        return Err(invalid(format!("the scheme must be 'pkg', not {scheme:?}")));
    }
    let rest = rest.trim_matches('/');
    let Some((ty, rest)) = rest.split_once('/') else {
        return Err(invalid("a package URL has the form pkg:type/name".into()));
    };
    let ecosystem: Ecosystem = ty.parse().map_err(|_| {
        invalid(format!(
            "unsupported package type {ty:?}; supported types are cargo, npm and pypi"
        ))
    })?;

    // The version follows the last '@' that does not open a path segment: an
    // unencoded npm scope's '@' comes right after a '/' (or at the start).
    let version_at = rest
        .char_indices()
        .rev()
        .find(|&(i, c)| c == '@' && i > 0 && !rest[..i].ends_with('/'))
        .map(|(i, _)| i);
    let (path, version) = match version_at {
        Some(i) => (&rest[..i], Some(decode(&rest[i + 1..]).map_err(invalid)?)),
        None => (rest, None),
    };
    if version.as_deref() == Some("") {
        return Err(invalid("the version after '@' is empty".into()));
    }

    let segments = path
        .split('/')
        .filter(|seg| !seg.is_empty())
        .map(decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let name = match (ecosystem, segments.as_slice()) {
        (_, [name]) => name.clone(),
        (Ecosystem::Npm, [scope, bare]) if scope.starts_with('@') => format!("{scope}/{bare}"),
        (Ecosystem::Npm, [scope, _]) => {
            return Err(invalid(format!(
                "the npm namespace must be an @scope (encoded %40{scope}), not {scope:?}"
            )));
        }
        (_, []) => return Err(invalid("the package name is missing".into())),
        (Ecosystem::Npm, _) => {
            return Err(invalid(
                "npm package URLs have at most a scope and a name".into(),
            ));
        }
        (eco, _) => return Err(invalid(format!("{eco} package URLs have no namespace"))),
    };
    let package = PackageId::new(ecosystem, &name).map_err(|e| invalid(e.to_string()))?;
    Ok((package, version))
}

/// Percent-decodes one purl component, which must be UTF-8 afterwards.
fn decode(component: &str) -> Result<String, String> {
    percent_decode_str(component)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("{component:?} does not percent-decode to UTF-8"))
}

#[cfg(test)]
mod tests {

    use super::*;

    fn pkg(eco: Ecosystem, name: &str) -> PackageId {
        PackageId::new(eco, name).unwrap()
    }

    #[test]
    fn canonical_purls() {
        assert_eq!(pkg(Ecosystem::Cargo, "serde").purl(), "pkg:cargo/serde");
        assert_eq!(
            pkg(Ecosystem::Cargo, "serde_json").purl(),
            "pkg:cargo/serde_json"
        );
        assert_eq!(
            pkg(Ecosystem::Npm, "@types/node").purl(),
            "pkg:npm/%40types/node"
        );
        assert_eq!(pkg(Ecosystem::Npm, "left-pad").purl(), "pkg:npm/left-pad");
        assert_eq!(
            pkg(Ecosystem::Npm, "JSONStream").purl(),
            "pkg:npm/JSONStream"
        );
        assert_eq!(
            pkg(Ecosystem::Npm, "legacy!(x)").purl(),
            "pkg:npm/legacy%21%28x%29"
        );
        assert_eq!(pkg(Ecosystem::Pypi, "Django").purl(), "pkg:pypi/django");
        assert_eq!(pkg(Ecosystem::Pypi, "Foo_Bar").purl(), "pkg:pypi/foo-bar");
        assert_eq!(
            pkg(Ecosystem::Pypi, "zope.interface").purl(),
            "pkg:pypi/zope.interface"
        );
    }

    #[test]
    fn versions_are_percent_encoded() {
        let serde = pkg(Ecosystem::Cargo, "serde");
        assert_eq!(
            serde.purl_with_version("1.0.217"),
            "pkg:cargo/serde@1.0.217"
        );
        assert_eq!(
            serde.purl_with_version("1.0.0+build.5"),
            "pkg:cargo/serde@1.0.0%2Bbuild.5"
        );
        let node = pkg(Ecosystem::Npm, "@types/node");
        assert_eq!(
            node.purl_with_version("22.10.1"),
            "pkg:npm/%40types/node@22.10.1"
        );
    }

    #[test]
    fn parses_canonical_and_lenient_forms() {
        let node = pkg(Ecosystem::Npm, "@types/node");
        for s in [
            "pkg:npm/%40types/node",
            "pkg:npm/@types/node",
            "PKG:NPM/%40types/node",
            "pkg://npm/%40types/node/",
            "pkg:npm/%40types/node#lib/index.d.ts",
            "pkg:npm/%40types/node?vcs_url=",
        ] {
            assert_eq!(parse_purl(s).unwrap(), (node.clone(), None), "{s}");
        }
        assert_eq!(
            parse_purl("pkg:npm/@types/node@22.10.1").unwrap(),
            (node, Some("22.10.1".into()))
        );
        assert_eq!(
            parse_purl("pkg:cargo/serde@1.0.0").unwrap(),
            (pkg(Ecosystem::Cargo, "serde"), Some("1.0.0".into()))
        );
        assert_eq!(
            parse_purl("pkg:cargo/serde@1.0.0%2Bbuild")
                .unwrap()
                .1
                .as_deref(),
            Some("1.0.0+build")
        );
        assert_eq!(
            parse_purl("pkg:pypi/django").unwrap().0,
            pkg(Ecosystem::Pypi, "django")
        );
    }

    #[test]
    fn purls_round_trip() {
        for (eco, name) in [
            (Ecosystem::Cargo, "Serde_JSON"),
            (Ecosystem::Npm, "@types/babel__core"),
            (Ecosystem::Npm, "JSONStream"),
            (Ecosystem::Npm, "legacy~'!()*"),
            (Ecosystem::Pypi, "zope.interface"),
        ] {
            let p = pkg(eco, name);
            let (back, version) = parse_purl(&p.purl_with_version("1.0:rc/1")).unwrap();
            assert_eq!(back.purl(), p.purl(), "{name}");
            assert_eq!(back.key(), p.key(), "{name}");
            assert_eq!(version.as_deref(), Some("1.0:rc/1"));
        }
    }

    #[test]
    fn precise_errors() {
        let reason = |s: &str| match parse_purl(s).unwrap_err() {
            Error::InvalidPurl { purl, reason } => {
                assert_eq!(purl, s);
                reason
            }
            other => panic!("unexpected {other:?}"),
        };
        assert!(reason("pkg:maven/org.x/y").contains("unsupported package type \"maven\""));
        assert!(reason("https://x.example/serde").contains("scheme must be 'pkg'"));
        assert!(reason("serde").contains("starts with 'pkg:'"));
        assert!(reason("pkg:cargo").contains("pkg:type/name"));
        assert!(reason("pkg:cargo/a/serde").contains("cargo package URLs have no namespace"));
        assert!(reason("pkg:npm/types/node").contains("must be an @scope"));
        assert!(reason("pkg:npm/%40a/b/c").contains("at most a scope and a name"));
        assert!(
            reason("pkg:cargo/serde?repository_url=x").contains("qualifiers are not supported")
        );
        assert!(reason("pkg:cargo/serde@").contains("version after '@' is empty"));
        assert!(reason("pkg:cargo/9lives").contains("must start with an ASCII letter"));
        assert!(reason("pkg:cargo/%FF").contains("UTF-8"));
    }

    #[test]
    fn invalid_names_name_the_rule() {
        let err = PackageId::new(Ecosystem::Cargo, "serde.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid cargo package name \"serde.json\": crate names may contain only ASCII \
             letters, digits, '-' and '_' (Cargo registry rule); found '.' at position 6"
        );
        assert!(PackageId::new(Ecosystem::Npm, ".bin").is_err());
        assert!(PackageId::new(Ecosystem::Pypi, "-x").is_err());
    }

    #[test]
    fn identity_is_the_key() {
        let a = pkg(Ecosystem::Cargo, "serde-json");
        let b = pkg(Ecosystem::Cargo, "Serde_JSON");
        assert_ne!(a, b);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.name(), "serde-json");
        assert_eq!(a.ecosystem(), Ecosystem::Cargo);
    }
}
