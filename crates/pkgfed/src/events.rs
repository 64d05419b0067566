//! Typed events and the [`EventPublisher`] they go through.
//!
//! Every step of the pipeline emits an [`Event`]; the in-process publisher fans them
//! out to subscribers (tests, and later an SSE stream for operators). A broker-backed
//! publisher implements the same trait, so callers never change. Event names are
//! listed in `docs/events.md`.

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
        /// `undo` or `actor_deleted`.
        reason: &'static str,
    },
    /// An Accept reached the follower's inbox.
    AcceptDelivered {
        /// The package actor id.
        package: String,
        /// The inbox it went to.
        inbox: String,
    },
    /// An Accept could not be delivered after all attempts.
    AcceptFailed {
        /// The package actor id.
        package: String,
        /// The inbox it was for.
        inbox: String,
        /// The last error.
        error: String,
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
