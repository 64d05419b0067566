//! The one error enum of the registries crate.
//!
//! Every variant carries the offending input and says which rule it broke, so the
//! application can show the message to a user as is. Mapping kinds to HTTP status
//! codes is the application's job; [`Error::HashedHandle`] and
//! [`Error::NonCanonicalHandle`] are not really failures but answers the caller
//! has to act on (look the handle up in its database, or redirect).

use crate::Ecosystem;

/// Anything parsing or validating a package, package URL or handle can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An ecosystem name that pkgfed does not support.
    #[error(
        "unknown package ecosystem {given:?}; supported ecosystems are cargo, npm, pypi and generic"
    )]
    UnknownEcosystem {
        /// The name as given.
        given: String,
    },

    /// A package name that breaks its ecosystem's naming rules.
    #[error("invalid {ecosystem} package name {name:?}: {rule}")]
    InvalidName {
        /// The ecosystem whose rules were applied.
        ecosystem: Ecosystem,
        /// The name as given.
        name: String,
        /// The rule that was broken, phrased as the rule itself.
        rule: String,
    },

    /// A string that is not a package URL pkgfed can resolve.
    #[error("invalid package URL {purl:?}: {reason}")]
    InvalidPurl {
        /// The package URL as given.
        purl: String,
        /// What was wrong and, where it helps, how to fix it.
        reason: String,
    },

    /// A username that no package of the enabled ecosystems can have.
    #[error("{handle:?} is not a package handle on this server: {reason}")]
    InvalidHandle {
        /// The handle as given.
        handle: String,
        /// What was wrong.
        reason: String,
    },

    /// A username that names a real package but is not its handle: for example
    /// `serde-json` for the crate whose handle is `serde_json`. Callers may
    /// redirect to the canonical handle; they must not serve an actor under the
    /// non-canonical one, because each package has exactly one actor.
    #[error("{handle:?} is not a canonical handle; the package's handle is {canonical:?}")]
    NonCanonicalHandle {
        /// The handle as given.
        handle: String,
        /// The one handle of the package it names.
        canonical: String,
    },

    /// A handle of the long-name form (`<prefix>_-<hash>`): the package name
    /// cannot be recovered from it, so the caller must look the handle up in the
    /// table where it stored each package's handle.
    #[error(
        "{handle:?} is a hashed handle of a long {ecosystem} package name; look it up by handle"
    )]
    HashedHandle {
        /// The ecosystem the handle belongs to.
        ecosystem: Ecosystem,
        /// The handle, lowercased, exactly as [`crate::handle::to_handle`] produced it.
        handle: String,
    },

    /// A handle for an ecosystem this server does not serve.
    #[error(
        "{handle:?} names a {ecosystem} package, but {ecosystem} is not enabled on this server"
    )]
    EcosystemNotEnabled {
        /// The ecosystem named by the handle's prefix.
        ecosystem: Ecosystem,
        /// The handle as given.
        handle: String,
    },
}
