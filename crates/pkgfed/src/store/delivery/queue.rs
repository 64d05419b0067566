//! What goes into the delivery queue and what comes out of a claim: an activity with
//! its audience, what enqueueing did, and a delivery claimed for an attempt.

/// An activity to deliver, written with all its deliveries in one transaction.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    /// The activity id (unique: enqueueing the same id twice is a no-op).
    pub activity_id: String,
    /// The local actor that signs it.
    pub actor_id: String,
    /// The package whose key signs it; None for the instance actor.
    pub package_id: Option<i64>,
    /// Activity type.
    pub kind: String,
    /// The JSON to deliver.
    pub activity: String,
}

/// One directly addressed recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectTarget {
    /// The inbox to POST to.
    pub inbox: String,
    /// The actor it serves.
    pub recipient: String,
}

/// Who receives an activity.
#[derive(Clone, Debug, Default)]
pub struct Audience {
    /// Deliver to the followers of this package, one POST per shared inbox.
    pub followers_of: Option<i64>,
    /// Deliver to these inboxes too.
    pub direct: Vec<DirectTarget>,
    /// Spread first attempts this many milliseconds apart (backfill pacing).
    pub pacing_ms: i64,
}

/// What enqueueing did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enqueued {
    /// Store id of the outbound activity.
    pub outbound_id: i64,
    /// False when the activity id existed already (nothing was added).
    pub created: bool,
    /// Deliveries to attempt.
    pub deliveries: u64,
    /// Deliveries recorded as skipped (host marked unavailable).
    pub skipped: u64,
}

/// Limits of one claim.
#[derive(Clone, Copy, Debug)]
pub struct ClaimLimits {
    /// Now (ms).
    pub now_ms: i64,
    /// How long a claim holds before it is considered abandoned (crash recovery).
    pub lease_ms: i64,
    /// At most this many deliveries.
    pub limit: u32,
    /// At most this many in flight per host (1 while a host's circuit is half-open).
    pub per_host: u32,
}

/// A delivery claimed for an attempt.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// Delivery id.
    pub id: i64,
    /// Outbound activity id (store).
    pub outbound_id: i64,
    /// Activity id.
    pub activity_id: String,
    /// Signing actor.
    pub actor_id: String,
    /// Signing package (None: the instance actor).
    pub package_id: Option<i64>,
    /// Activity type.
    pub kind: String,
    /// The JSON to POST.
    pub activity: std::sync::Arc<str>,
    /// Target inbox.
    pub inbox: String,
    /// Its host.
    pub host: String,
    /// Actors served by this inbox.
    pub recipients: Vec<String>,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Signature scheme the host accepted before (`cavage` or `rfc9421`).
    pub scheme: Option<String>,
}
