//! The records the store keeps, independent of the backend.

use pkgfed_registries::Ecosystem;

/// A package actor. Its `Debug` output leaves out the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct Package {
    /// Store id; also the cursor order of listings.
    pub id: i64,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// The ecosystem's normalised name (identity within the ecosystem).
    pub name_key: String,
    /// The name as the registry spells it.
    pub name: String,
    /// Its fediverse username (`preferredUsername`).
    pub handle: String,
    /// Its canonical package URL.
    pub purl: String,
    /// Optional metadata shown on the actor.
    pub meta: PackageMeta,
    /// PKCS#8 PEM of the actor's signing key.
    pub private_key_pem: String,
    /// SPKI PEM of its public key, as published in the actor document.
    pub public_key_pem: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("id", &self.id)
            .field("purl", &self.purl)
            .field("handle", &self.handle)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// Optional, human-facing metadata of a package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageMeta {
    /// Display name; the package name when absent.
    pub display_name: Option<String>,
    /// One-line description.
    pub description: Option<String>,
    /// Project homepage URL.
    pub homepage: Option<String>,
    /// Source repository URL.
    pub repository: Option<String>,
    /// Licence expression (SPDX where known).
    pub license: Option<String>,
}

/// A package to insert.
#[derive(Clone)]
pub struct NewPackage {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Normalised name.
    pub name_key: String,
    /// Name as spelt by the registry.
    pub name: String,
    /// Fediverse username.
    pub handle: String,
    /// Canonical package URL.
    pub purl: String,
    /// Metadata.
    pub meta: PackageMeta,
    /// PKCS#8 PEM of a freshly generated key.
    pub private_key_pem: String,
    /// SPKI PEM of its public key.
    pub public_key_pem: String,
}

/// A remote actor following a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follower {
    /// Store id; cursor order.
    pub id: i64,
    /// The followed package.
    pub package_id: i64,
    /// The follower's actor id.
    pub actor_id: String,
    /// Its personal inbox.
    pub inbox: String,
    /// Its server's shared inbox, when it has one.
    pub shared_inbox: Option<String>,
    /// Id of the Follow activity.
    pub follow_id: String,
    /// When it followed (Unix seconds).
    pub created_at: i64,
}

/// A follower to record.
#[derive(Clone, Debug)]
pub struct NewFollower {
    /// The follower's actor id.
    pub actor_id: String,
    /// Its inbox.
    pub inbox: String,
    /// Its shared inbox.
    pub shared_inbox: Option<String>,
    /// Id of the Follow activity.
    pub follow_id: String,
}

/// A verified inbound activity to persist.
#[derive(Clone, Debug)]
pub struct InboundRecord {
    /// The activity's id (dedup key).
    pub activity_id: String,
    /// Its type.
    pub kind: String,
    /// Its actor.
    pub actor: String,
    /// The id of its object, when it has one.
    pub object_id: Option<String>,
    /// Local actors it is addressed to.
    pub recipients: Vec<String>,
    /// The JSON as received.
    pub raw: String,
}

/// A remote public key and the actor it belongs to, as cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedKey {
    /// The key id (`keyId` of signatures).
    pub key_id: String,
    /// The owning actor.
    pub actor_id: String,
    /// PEM of the key.
    pub public_key_pem: String,
    /// The actor's inbox.
    pub inbox: String,
    /// The actor's shared inbox.
    pub shared_inbox: Option<String>,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
}

/// An activity in a package's outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxItem {
    /// Store id; cursor order.
    pub id: i64,
    /// The activity id.
    pub activity_id: String,
    /// The activity JSON.
    pub activity: String,
    /// Publication time (Unix seconds).
    pub published: i64,
}

/// Row counts of the federation tables; tests use them to prove a refused request
/// changed nothing, NodeInfo uses them for usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Package actors.
    pub packages: u64,
    /// Follow relationships.
    pub follows: u64,
    /// Distinct following actors.
    pub distinct_followers: u64,
    /// Persisted inbound activities.
    pub inbound_activities: u64,
    /// Cached remote keys.
    pub remote_keys: u64,
    /// Outbox activities.
    pub outbox: u64,
}

/// What the metrics endpoint reads from the database at scrape time. Every figure
/// comes from an index, and the queue depth is counted only up to
/// [`MetricsCounts::QUEUE_DEPTH_CAP`], so a scrape stays cheap on a large queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetricsCounts {
    /// Package actors.
    pub packages: u64,
    /// Follow relationships.
    pub follows: u64,
    /// Deliveries waiting for an attempt (fresh and retries), at most the cap.
    pub pending_deliveries: u64,
    /// Deliveries being attempted now.
    pub in_flight_deliveries: u64,
    /// The earliest `next_attempt_at` of a waiting delivery (Unix ms).
    pub oldest_due_at: Option<i64>,
}

impl MetricsCounts {
    /// Waiting deliveries are counted up to this many.
    pub const QUEUE_DEPTH_CAP: u64 = 1_000_000;
}
