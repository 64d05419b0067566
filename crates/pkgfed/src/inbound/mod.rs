//! The inbound pipeline: a signed POST to an inbox becomes a stored activity and its
//! side effects.
//!
//! ```text
//! parse (JSON limits first) → domain policy → resolve signer → verify signature → validate → addressing → dedup
//!       → side effects (type handlers) → persist → emit event → 202
//! ```
//! Each step is a small function in its own module with its own tests. Any step can
//! stop the request with an [`InboundError`] whose HTTP status is
//! decided in `web::error`; nothing is stored before the signature verified and the
//! activity validated.

pub mod addressing;
pub mod error;
pub mod handlers;
pub mod json_limits;
pub mod key_fetches;
pub mod parse;
pub mod refetch;
pub mod signer;
pub mod validate;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use pkgfed_protocol::fetch::Fetcher;
use pkgfed_registries::Ecosystem;
use tokio::sync::Notify;
use url::Url;

use crate::clock::Clock;
use crate::events::{Event, EventPublisher};
use crate::federation::urls::Urls;
use crate::outbound::Outbound;
use crate::signing::ActorSigner;

use crate::store::{InboundRecord, SharedStore};
pub use error::{InboundError, Result};

/// What the inbound pipeline and its handlers use. Cheap to clone.
#[derive(Clone)]
pub struct Inbound {
    /// Where activities, followers and cached keys are stored.
    pub store: SharedStore,
    /// The URL scheme (which local actor an id names).
    pub urls: Urls,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where inbound events go.
    pub events: Arc<dyn EventPublisher>,
    /// SSRF-safe HTTP, for signers' actor documents.
    pub fetcher: Fetcher,
    /// Signs those GETs as the instance actor.
    pub instance_signer: ActorSigner,
    /// Side effects per activity type.
    pub handlers: handlers::HandlerRegistry,
    /// The outbox (the `Accept` of a Follow, the backfill).
    pub outbound: Outbound,
    /// Wakes the watcher's tracking reconciliation (a follower was added).
    pub watch_wake: Arc<Notify>,
    /// Re-fetches of cached keys after a failed verification (rate-limited).
    pub refetches: Arc<refetch::KeyRefetches>,
    /// Key fetches in flight (one per key at a time).
    pub key_fetches: Arc<key_fetches::KeyFetches>,
    /// The settings the pipeline reads.
    pub settings: Arc<InboundSettings>,
}

/// The settings of the inbound pipeline.
#[derive(Clone, Debug)]
pub struct InboundSettings {
    /// Public base URL (its scheme is the one signatures cover).
    pub base_url: Url,
    /// Signature clock skew bound.
    pub signature_max_skew: Duration,
    /// Remote actor cache TTL.
    pub actor_cache_ttl: Duration,
    /// Enabled ecosystems.
    pub ecosystems: Vec<Ecosystem>,
    /// Depth and size bounds of an activity's JSON.
    pub json_limits: json_limits::JsonLimits,
}

/// An inbox POST as received.
#[derive(Clone, Debug)]
pub struct InboundRequest {
    /// The request method.
    pub method: Method,
    /// Path and query, as on the request line.
    pub path_and_query: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// The body (already bounded by the size limit).
    pub body: Bytes,
    /// The package handle when posted to a per-actor inbox; None for `/inbox`.
    pub inbox_of: Option<String>,
}

/// What the pipeline did with an accepted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored and acted on.
    Processed,
    /// Seen before: nothing changed.
    Duplicate,
}

/// Runs the whole pipeline for one request.
pub async fn run(state: &Inbound, req: InboundRequest) -> Result<Outcome> {
    let json = parse::parse_within(&req.headers, &req.body, &state.settings.json_limits)?;
    let signature = verify::parse_signature(state, &req)?;
    // The domain policy before any fetch: the keyId's host, and the actor the body
    // names (checked again once validated, as the verified actor).
    let domains = &state.outbound.domains;
    domains.check_url(&signature.key_id)?;
    if let Some(actor) = json
        .get("actor")
        .and_then(pkgfed_protocol::activitystreams::id_of)
    {
        domains.check_url(actor)?;
    }
    let signer = verify::verify(state, &signature, &json).await?;
    let activity = validate::validate(&json, &signer)?;
    domains.check_url(activity.actor.as_str())?;
    let recipients = addressing::local_recipients(&state.urls, &activity, req.inbox_of.as_deref());

    let record = InboundRecord {
        activity_id: activity.id.to_string(),
        kind: activity.kind.clone(),
        actor: activity.actor.to_string(),
        object_id: pkgfed_protocol::activitystreams::id_of(&activity.object).map(str::to_owned),
        recipients: recipients.clone(),
        raw: String::from_utf8_lossy(&req.body).into_owned(),
    };
    if state.store.inbound_exists(&record.activity_id).await? {
        tracing::debug!(id = %record.activity_id, "duplicate activity");
        return Ok(Outcome::Duplicate);
    }
    // A verified activity proves its server is up: deliveries to it resume — before
    // the side effects, so the Accept of a Follow from a recovered host is sent.
    state
        .store
        .host_seen(
            &crate::store::host_of(&signer.actor_id),
            state.clock.now_ms(),
        )
        .await?;
    // Side effects run before the activity is recorded as seen, and are idempotent:
    // if the process dies in between, the sender's retry runs them again instead of
    // being taken for a duplicate.
    let ctx = handlers::Context {
        activity: &activity,
        json: &json,
        signer: &signer,
        recipients: &recipients,
    };
    state.handlers.dispatch(state, &ctx).await?;
    if !state.store.record_inbound(&record).await? {
        // A concurrent copy of the same activity got here first; both ran the
        // idempotent side effects.
        return Ok(Outcome::Duplicate);
    }
    signer::remember(state, &signer).await?;
    state.events.publish(Event::ActivityReceived {
        activity_id: record.activity_id,
        kind: record.kind,
        actor: record.actor,
    });
    Ok(Outcome::Processed)
}
