//! The broker-backed [`EventPublisher`] of cluster mode: every event goes to the
//! in-process subscribers (the SSE stream keeps working) and is offered to the
//! broker, which publishes it to the `pkgfed.events` exchange and turns events that
//! announce queued work into wakes for the other processes' workers. Neither step
//! waits: a full buffer or a broker that is down drops (and counts) the broker copy
//! only.

use std::sync::Arc;

use super::Broker;
use crate::events::{Event, EventPublisher, InProcessEvents};

/// In-process events plus the broker.
pub struct BrokerEvents {
    local: Arc<InProcessEvents>,
    broker: Broker,
}

impl BrokerEvents {
    /// Publishes to `local` and offers to `broker`.
    pub fn new(local: Arc<InProcessEvents>, broker: Broker) -> Self {
        Self { local, broker }
    }
}

impl EventPublisher for BrokerEvents {
    fn publish(&self, event: Event) {
        self.local.publish(event.clone());
        self.broker.offer(event);
    }
}
