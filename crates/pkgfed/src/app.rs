//! The wired application: configuration, store, keys, fetcher, events and the
//! activity handlers, shared by every request.

use std::sync::Arc;

use pkgfed_protocol::fetch::{Fetcher, RequestSigner};
use pkgfed_protocol::keys::RsaPrivateKey;
use pkgfed_protocol::signatures;

use tokio::sync::{Notify, watch};

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::events::{EventPublisher, InProcessEvents};
use crate::federation::urls::Urls;
use crate::inbound::handlers::HandlerRegistry;
use crate::packages::lazy::LazyLookups;
use crate::store::{self, SharedStore};
use crate::watch::Registries;

/// Name of the instance actor's key in the store.
const INSTANCE_KEY: &str = "instance-actor";

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// The shared parts.
pub struct Inner {
    /// Validated settings.
    pub settings: Settings,
    /// URL builder on the public base URL.
    pub urls: Urls,
    /// The store.
    pub store: SharedStore,
    /// SSRF-safe outbound HTTP.
    pub fetcher: Fetcher,
    /// Signs outbound GETs as the instance actor.
    pub instance_signer: ActorSigner,
    /// SPKI PEM of the instance actor's key.
    pub instance_public_pem: String,
    /// Where events go.
    pub events: Arc<dyn EventPublisher>,
    /// The in-process event bus (also behind `events`), for subscribers.
    pub bus: Arc<InProcessEvents>,
    /// Side effects per activity type.
    pub handlers: HandlerRegistry,
    /// The delivery queue's clock (manual in tests).
    pub clock: Arc<dyn Clock>,
    /// Wakes the delivery worker when work is queued.
    pub delivery_wake: Arc<Notify>,
    /// Turns true when the server starts shutting down (long-lived streams end).
    pub shutdown: watch::Sender<bool>,
    /// Bearer token of the admin API (configured, or generated and stored). Secret:
    /// never log it.
    pub admin_token: String,
    /// The configured registries (adapters and rate limits).
    pub registries: Registries,
    /// Negative-answer cache and locks of actors created on first lookup.
    pub lazy: LazyLookups,
    /// Wakes the watcher's tracking reconciliation (a follower was added).
    pub watch_wake: Arc<Notify>,
    /// Wakes the registry loops (packages became due).
    pub registry_wake: Arc<Notify>,
    /// When this process started (Unix ms, on `clock`).
    pub started_at_ms: i64,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// Opens the store (creating and migrating it), loads or generates the instance
    /// key, and wires the rest.
    pub async fn build(settings: Settings) -> Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`AppState::build`], with the delivery queue on `clock`.
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self> {
        let store = store::open(&settings.database_url).await?;
        let instance_key = load_or_create_instance_key(&store).await?;
        let admin_token =
            crate::web::admin::auth::load_or_create_token(&store, &settings.admin_token).await?;
        let fetcher = Fetcher::new(settings.fetch.clone())
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
        let urls = Urls::new(&settings.base_url);
        let bus = Arc::new(InProcessEvents::new(1024));
        let registries = Registries::from_settings(&settings)?;
        let started_at_ms = clock.now_ms();
        Ok(Self {
            inner: Arc::new(Inner {
                instance_public_pem: instance_key.public_key_pem(),
                instance_signer: ActorSigner {
                    key: Arc::new(instance_key),
                    key_id: urls.instance_key_id(),
                },
                urls,
                store,
                fetcher,
                events: bus.clone(),
                bus,
                handlers: HandlerRegistry::standard(),
                clock,
                delivery_wake: Arc::new(Notify::new()),
                shutdown: watch::channel(false).0,
                admin_token,
                registries,
                lazy: LazyLookups::new(),
                watch_wake: Arc::new(Notify::new()),
                registry_wake: Arc::new(Notify::new()),
                started_at_ms,
                settings,
            }),
        })
    }
}

async fn load_or_create_instance_key(store: &SharedStore) -> Result<RsaPrivateKey> {
    let pem = match store.instance_key(INSTANCE_KEY).await? {
        Some(pem) => pem,
        None => {
            let key = generate_key().await?;
            tracing::info!("generated the instance actor's RSA-2048 key");
            store
                .put_instance_key(INSTANCE_KEY, &key.to_pkcs8_pem())
                .await?
        }
    };
    RsaPrivateKey::from_pkcs8_pem(&pem)
        .map_err(|e| Error::Internal(format!("stored instance key is unusable: {e}")))
}

/// Generates an RSA-2048 key off the async threads (it takes tens of milliseconds).
pub async fn generate_key() -> Result<RsaPrivateKey> {
    tokio::task::spawn_blocking(RsaPrivateKey::generate)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(format!("key generation failed: {e}")))
}

/// Signs requests with one actor's key (draft-cavage `rsa-sha256`, as Mastodon
/// expects on every outbound GET and POST).
#[derive(Clone)]
pub struct ActorSigner {
    /// The private key.
    pub key: Arc<RsaPrivateKey>,
    /// Its key id.
    pub key_id: String,
}

impl RequestSigner for ActorSigner {
    fn sign(
        &self,
        method: &http::Method,
        url: &url::Url,
        headers: &mut http::HeaderMap,
        body: Option<&[u8]>,
    ) -> std::result::Result<(), pkgfed_protocol::Error> {
        signatures::sign_cavage(method, url, headers, body, &self.key_id, &self.key)?;
        Ok(())
    }
}
