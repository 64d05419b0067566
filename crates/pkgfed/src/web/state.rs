//! The web-side state every handler receives: what HTTP handlers read directly (the
//! store for documents and the admin API, settings, the event bus, the admin token)
//! and the narrow contexts of the subsystems they call into. Built by the wiring in
//! `crate::app`; cheap to clone.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Settings;
use crate::events::{EventPublisher, InProcessEvents};
use crate::federation::urls::Urls;
use crate::inbound::Inbound;
use crate::outbound::Outbound;
use crate::packages::cache::PackageCache;
use crate::packages::lazy::FirstLookup;
use crate::shutdown::Shutdown;
use crate::store::SharedStore;
use crate::watch::Watcher;
use crate::web::limits::Limits;

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    /// The inbound rate limits' buckets, built from `settings.limits`.
    limits: Arc<Limits>,
    /// Packages found by WebFinger and actor GETs, briefly.
    packages: Arc<PackageCache>,
}

/// The shared parts.
pub struct Inner {
    /// Validated settings.
    pub settings: Settings,
    /// URL builder on the public base URL.
    pub urls: Urls,
    /// The store.
    pub store: SharedStore,
    /// SPKI PEM of the instance actor's key.
    pub instance_public_pem: String,
    /// Where events go.
    pub events: Arc<dyn EventPublisher>,
    /// The in-process event bus (also behind `events`), for subscribers.
    pub bus: Arc<InProcessEvents>,
    /// The RabbitMQ broker (`[broker]`), when configured: its status for health and
    /// metrics; `crate::server` runs its connection.
    pub broker: Option<crate::broker::Broker>,
    /// The application's clock (manual in tests).
    pub clock: Arc<dyn Clock>,
    /// Bearer token of the admin API (configured, or generated and stored). Secret:
    /// never log it.
    pub admin_token: String,
    /// Wakes the watcher's tracking reconciliation (a follower was added).
    pub watch_wake: Arc<Notify>,
    /// The process's shutdown switch (long-lived streams end when it is requested).
    pub shutdown: Shutdown,
    /// The inbound pipeline (`POST /inbox`).
    pub inbound: Inbound,
    /// The outbound path (the delivery worker runs on it).
    pub outbound: Outbound,
    /// Registry watching (its health view for the admin API).
    pub watcher: Watcher,
    /// Actors created on first lookup (WebFinger, actor GETs).
    pub lookups: FirstLookup,
    /// Rendered package pages, briefly (`crate::web::pages::cache`).
    pub page_cache: Arc<crate::web::pages::cache::PageCache>,
}

impl AppState {
    /// Wraps the parts (see `crate::app` for how they are built).
    pub fn new(inner: Inner) -> Self {
        Self {
            limits: Arc::new(Limits::new(&inner.settings.limits)),
            packages: Arc::default(),
            inner: Arc::new(inner),
        }
    }

    /// The inbound rate limits (shared by every clone).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The packages GETs found in the last second (shared by every clone).
    pub fn package_cache(&self) -> &PackageCache {
        &self.packages
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AsRef<Outbound> for AppState {
    fn as_ref(&self) -> &Outbound {
        &self.outbound
    }
}

impl From<AppState> for Outbound {
    fn from(state: AppState) -> Self {
        state.outbound.clone()
    }
}
