//! The package ecosystems pkgfed knows, named by their package URL (purl) type.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A package ecosystem: one registry's namespace of package names.
///
/// The lowercase name ([`Ecosystem::as_str`]) is the purl type, the serde form,
/// the configuration value and the handle prefix in multi-ecosystem mode.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Rust crates.
    Cargo,
    /// JavaScript packages, including `@scope/name` scoped packages.
    Npm,
    /// Python distributions, identified by their PEP 503 normalised name.
    Pypi,
    /// Projects outside package registries, followed through a releases feed
    /// (Atom or RSS, as forges publish per repository). Names are chosen by the
    /// operator: lowercase-insensitive ASCII letters and digits with single `-`,
    /// `_` or `.` between them, at most 64 characters.
    Generic,
}

impl Ecosystem {
    /// Every supported ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 4] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Generic,
    ];

    /// The package registries (every ecosystem but [`Ecosystem::Generic`]): the
    /// default set a server enables.
    pub const REGISTRIES: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::Npm, Ecosystem::Pypi];

    /// The lowercase name, which is also the purl type: `"cargo"`, `"npm"`, `"pypi"`,
    /// `"generic"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Generic => "generic",
        }
    }
}

impl FromStr for Ecosystem {
    type Err = Error;

    /// Parses an ecosystem name case-insensitively (`"PyPI"` is [`Ecosystem::Pypi`]).
    fn from_str(s: &str) -> Result<Self, Error> {
        Ecosystem::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownEcosystem {
                given: s.to_owned(),
            })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn parses_case_insensitively_and_round_trips() {
        for eco in Ecosystem::ALL {
            assert_eq!(eco.as_str().parse::<Ecosystem>().unwrap(), eco);
            assert_eq!(
                eco.to_string().to_uppercase().parse::<Ecosystem>().unwrap(),
                eco
            );
        }
        assert_eq!("PyPI".parse::<Ecosystem>().unwrap(), Ecosystem::Pypi);
    }

    #[test]
    fn unknown_ecosystem_lists_the_supported_ones() {
        let err = "maven".parse::<Ecosystem>().unwrap_err();
        assert_eq!(
            err,
            Error::UnknownEcosystem {
                given: "maven".into()
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains("\"maven\"") && msg.contains("cargo, npm, pypi and generic"),
            "{msg}"
        );
    }

    #[test]
    fn serde_uses_the_lowercase_name() {
        // No serde_json dependency here: check through the derive's
        // `IntoDeserializer` path instead.
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::Error as DeError;
        let de: serde::de::value::StrDeserializer<'_, DeError> = "pypi".into_deserializer();
        assert_eq!(Ecosystem::deserialize(de).unwrap(), Ecosystem::Pypi);
        let de: serde::de::value::StrDeserializer<'_, DeError> = "Pypi".into_deserializer();
        assert!(Ecosystem::deserialize(de).is_err());
    }
}
