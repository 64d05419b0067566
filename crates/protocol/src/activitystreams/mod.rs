//! ActivityStreams JSON as the fediverse actually sends it, and the few shapes
//! pkgfed reads from it.
//!
//! Fediverse JSON is loose: a property may hold one value or an array, a
//! reference may be a bare IRI or an embedded object with an `id`, and the
//! public collection has three spellings. The helpers here absorb that so the
//! rest of pkgfed sees one shape.
//!
//! # Layout
//! - [`OneOrMany`]: a value that may be a single item or an array.
//! - [`id_of`] / [`ids_of`]: string-or-object references.
//! - [`RemoteActor`]: a remote actor document, parsed leniently.
//! - [`ActivityEnvelope`]: the fields of an inbound activity pkgfed validates.
//! - `multikey`: Ed25519 `Multikey` verification methods turned into PEM.

mod activity;
mod actor;
mod multikey;
mod one_or_many;
mod reference;
#[cfg(test)]
mod tests;

pub use activity::{ActivityEnvelope, ActivityParseError};
pub use actor::{ActorKey, ActorParseError, RemoteActor};
pub use one_or_many::OneOrMany;
pub use reference::{id_of, ids_of};

/// The ActivityStreams 2.0 JSON-LD context.
pub const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The security vocabulary context that defines `publicKey` / `publicKeyPem`.
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";

/// The special collection addressing an object to everyone.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether `iri` names the public collection, in any of the spellings seen on
/// the wire: the full IRI, the compacted `as:Public`, or bare `Public`.
pub fn is_public(iri: &str) -> bool {
    matches!(iri, PUBLIC | "as:Public" | "Public")
}
