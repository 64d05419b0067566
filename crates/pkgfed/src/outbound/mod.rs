//! Outbound delivery: the transactional outbox and the durable queue behind it.
//!
//! ```text
//! outbox::publish / send / send_to_inbox / backfill
//!        ── one transaction: activity + one delivery per inbox
//!        (followers grouped by shared inbox; unavailable hosts recorded as skipped)
//! worker ── claim due (fresh before retries, per-host limit, circuit breaker)
//!        → attempt (sign draft-cavage; RFC 9421 on 401, remembered per host;
//!          both signers in `crate::signing`)
//!        → classify → recorder (batched: delivery, report, host health, status)
//!        → remediate (404/410, repeated 403, repeated 401) → events
//! ```
//!
//! Everything here works on an [`Outbound`]: what the outbound path uses, built once
//! by the wiring (`crate::app`) and handed to every sender.

pub mod accept;
pub mod attempt;
pub mod classify;
pub mod error;
pub mod generations;
pub mod housekeeping;
pub mod keys;
pub mod outbox;
mod recorder;
pub mod remediate;
pub mod schedule;
pub mod worker;

use std::sync::Arc;

use pkgfed_protocol::fetch::{FetchConfig, Fetcher};
use pkgfed_protocol::keys::RsaPrivateKey;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::DeliveryConfig;
use crate::events::EventPublisher;
use crate::federation::domain_policy::DomainPolicy;
use crate::federation::urls::Urls;
use crate::store::SharedStore;

pub use error::{OutboundError, Result};

/// What the outbound path uses: the queue in the store, the clock it is scheduled
/// on, the HTTP client and keys that deliver, and where it reports. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    /// The store holding the outbox and the delivery queue.
    pub store: SharedStore,
    /// Actor URLs of the senders.
    pub urls: Urls,
    /// The queue's clock (manual in tests).
    pub clock: Arc<dyn Clock>,
    /// Where delivery events go.
    pub events: Arc<dyn EventPublisher>,
    /// Wakes the delivery worker when work is queued.
    pub wake: Arc<Notify>,
    /// SSRF-safe outbound HTTP.
    pub fetcher: Fetcher,
    /// The instance actor's key (signs what the instance actor sends).
    pub instance_key: Arc<RsaPrivateKey>,
    /// The package keys deliveries are signed with (parsed once).
    pub keys: keys::SigningKeys,
    /// Which domains pkgfed talks to (deliveries to refused ones are skipped; the
    /// inbound pipeline refuses their activities with the same policy).
    pub domains: Arc<DomainPolicy>,
    /// The database's generation counters as this process last saw them.
    pub seen: generations::SeenGenerations,
    /// The settings the outbound path reads.
    pub settings: Arc<OutboundSettings>,
}

/// The settings of the outbound path.
#[derive(Clone, Debug)]
pub struct OutboundSettings {
    /// `[delivery]`.
    pub delivery: DeliveryConfig,
    /// The HTTP client's limits (the claim lease covers two request timeouts).
    pub fetch: FetchConfig,
}

impl AsRef<Outbound> for Outbound {
    fn as_ref(&self) -> &Outbound {
        self
    }
}
