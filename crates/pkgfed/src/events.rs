//! Typed events and the [`EventPublisher`] they go through.
//!
//! Every step of the pipeline emits an [`Event`]; the in-process publisher fans them
//! out to subscribers (tests, and the operators' SSE stream `/api/v1/admin/events`).
//! With `[broker]` configured, `crate::broker::BrokerEvents` implements the same
//! trait (the in-process subscribers still get every event), so callers never
//! change. Event names are listed in `docs/events.md`.

use serde::Serialize;
use tokio::sync::broadcast;

/// Something that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A verified inbound activity was persisted (not emitted for duplicates).
    ActivityReceived {
        /// Activity id.
        activity_id: String,
        /// Activity type.
        kind: String,
        /// Sending actor.
        actor: String,
    },
    /// A follower was recorded and an Accept is on its way.
    FollowAccepted {
        /// The package actor id.
        package: String,
        /// The follower's actor id.
        follower: String,
    },
    /// A follower was removed.
    FollowerRemoved {
        /// The package actor id; None when the actor left every package at once.
        package: Option<String>,
        /// The follower's actor id.
        follower: String,
        /// `undo`, `actor_deleted`, `gone` (404/410 from its inbox) or `cleanup`.
        reason: &'static str,
    },
    /// An activity and its deliveries were written to the outbox.
    DeliveryRequested {
        /// Activity id.
        activity_id: String,
        /// Activity type.
        kind: String,
        /// Deliveries queued.
        deliveries: u64,
        /// Deliveries skipped (unavailable hosts).
        skipped: u64,
    },
    /// A delivery reached a final outcome and its report was written.
    DeliveryReported {
        /// Report id.
        report_id: String,
        /// Activity id.
        activity_id: String,
        /// The inbox.
        inbox: String,
        /// Outcome.
        result: crate::store::delivery::ReportResult,
        /// HTTP status, when there was a response.
        status_code: Option<u16>,
    },
    /// A delivery failed permanently or exhausted its retries.
    DeliveryFailed {
        /// Activity id.
        activity_id: String,
        /// The inbox.
        inbox: String,
        /// Why.
        reason: String,
        /// True when retries ran out (transient failures); false for permanent ones.
        exhausted: bool,
    },
    /// A new release was posted to the package's followers.
    ReleasePublished {
        /// The package actor id.
        package: String,
        /// The version.
        version: String,
        /// The Note's id.
        note_id: String,
    },
    /// A version was yanked (or removed) and its post deleted.
    ReleaseYanked {
        /// The package actor id.
        package: String,
        /// The version.
        version: String,
        /// The deleted Note's id.
        note_id: String,
    },
    /// A security advisory was posted to a package's followers.
    AdvisoryPublished {
        /// The package actor id.
        package: String,
        /// The advisory's (canonical) id.
        advisory: String,
        /// The Note's id.
        note_id: String,
    },
    /// A posted advisory changed and its Note was updated.
    AdvisoryUpdated {
        /// The package actor id.
        package: String,
        /// The advisory's (canonical) id.
        advisory: String,
        /// The Note's id.
        note_id: String,
    },
    /// A posted advisory was withdrawn and its Note deleted.
    AdvisoryWithdrawn {
        /// The package actor id.
        package: String,
        /// The advisory's (canonical) id.
        advisory: String,
        /// The deleted Note's id.
        note_id: String,
    },
    /// A package gained its first follower: its registry is now watched.
    PackageTracked {
        /// The package actor id.
        package: String,
    },
    /// A package lost its last follower: watching stopped.
    PackageUntracked {
        /// The package actor id.
        package: String,
    },
    /// A registry had no successful check for `watch.stall_intervals` intervals.
    RegistryStalled {
        /// The registry's ecosystem.
        ecosystem: String,
        /// Its last successful check (RFC 3339), if any.
        last_success: Option<String>,
    },
    /// An outbound activity's status changed.
    ActivityStatusChanged {
        /// Activity id.
        activity_id: String,
        /// New status.
        status: crate::store::delivery::ActivityStatus,
    },
    /// A host's circuit opened: it is probed instead of hammered.
    CircuitOpened {
        /// The host.
        host: String,
    },
    /// A host failing for days was marked unavailable.
    HostUnavailable {
        /// The host.
        host: String,
    },
    /// A domain was flagged for review (repeated 403s).
    DomainFlagged {
        /// The domain.
        domain: String,
        /// Why.
        reason: String,
    },
    /// Remote servers keep refusing an actor's signatures (repeated 401s).
    KeyRotationRecommended {
        /// The local actor.
        actor: String,
        /// Refusals within 24 hours.
        refusals: u64,
    },
    /// A new follower's backfill was queued.
    BackfillRequested {
        /// The package actor id.
        package: String,
        /// The follower.
        follower: String,
        /// Posts queued.
        posts: u32,
    },
}

/// Where events go.
pub trait EventPublisher: Send + Sync + 'static {
    /// Publishes an event; never blocks and never fails the caller.
    fn publish(&self, event: Event);
}

/// The in-process default: a broadcast channel; slow subscribers miss events rather
/// than slowing the server.
pub struct InProcessEvents {
    tx: broadcast::Sender<Event>,
}

impl InProcessEvents {
    /// With room for `capacity` unread events per subscriber.
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity).0,
        }
    }

    /// A new subscription to events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

impl EventPublisher for InProcessEvents {
    fn publish(&self, event: Event) {
        tracing::debug!(?event, "event");
        // No subscribers is fine: events are also visible in the logs.
        let _ = self.tx.send(event);
    }
}
