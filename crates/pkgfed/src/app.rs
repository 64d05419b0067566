//! The wiring: the one place that builds the application — the store, keys and
//! signers, the HTTP client, the registries, the handler registry, the event bus,
//! the shutdown switch — and hands each subsystem its own narrow context
//! ([`Outbound`], [`Inbound`], [`Watcher`], [`FirstLookup`]). Only `server.rs`, the
//! CLI and tests build the application; subsystems never import this module.

use std::sync::Arc;

use pkgfed_protocol::fetch::Fetcher;
use tokio::sync::Notify;

use crate::broker::{Broker, BrokerEvents};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::events::{EventPublisher, InProcessEvents};
use crate::federation::domain_policy::DomainPolicy;
use crate::federation::urls::Urls;
use crate::inbound::handlers::HandlerRegistry;
use crate::inbound::{Inbound, InboundSettings};
use crate::outbound::{Outbound, OutboundSettings};
use crate::packages::lazy::{FirstLookup, LazyLookups, LookupSettings};
use crate::registries::Registries;
use crate::shutdown::Shutdown;
use crate::signing::{self, ActorSigner};
use crate::store;
use crate::watch::{Watcher, WatcherSettings};
use crate::web::state::Inner;

pub use crate::web::AppState;

impl AppState {
    /// Opens the store (creating and migrating it), loads or generates the instance
    /// key, and wires the rest.
    pub async fn build(settings: Settings) -> Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`AppState::build`], with the whole application on `clock`.
    pub async fn build_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self> {
        crate::telemetry::metrics::install();
        let store = store::open(&settings.database_url).await?;
        let instance_key = Arc::new(signing::load_or_create_instance_key(&store).await?);
        let admin_token =
            crate::web::admin::auth::load_or_create_token(&store, &settings.admin_token).await?;
        let fetcher = Fetcher::new(settings.fetch.clone())
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
        let urls = Urls::new(&settings.base_url);
        let bus = Arc::new(InProcessEvents::new(1024));
        // With a broker, events also go there (and queued work wakes other
        // processes); the in-process bus gets them either way.
        let broker = settings.broker.clone().map(Broker::new);
        let events: Arc<dyn EventPublisher> = match &broker {
            Some(b) => Arc::new(BrokerEvents::new(bus.clone(), b.clone())),
            None => bus.clone(),
        };
        // Cached package pages go stale with the events that change them.
        let page_cache = Arc::new(crate::web::pages::cache::PageCache::default());
        let events: Arc<dyn EventPublisher> = Arc::new(crate::web::pages::cache::Invalidating {
            inner: events,
            cache: page_cache.clone(),
        });
        let registries = Registries::from_settings(&settings)?;
        let started_at_ms = clock.now_ms();
        let shutdown = Shutdown::default();
        let watch_wake = Arc::new(Notify::new());

        let outbound = Outbound {
            store: store.clone(),
            urls: urls.clone(),
            clock: clock.clone(),
            events: events.clone(),
            wake: Arc::new(Notify::new()),
            fetcher: fetcher.clone(),
            instance_key: instance_key.clone(),
            keys: Default::default(),
            seen: Default::default(),
            domains: Arc::new(
                DomainPolicy::load(
                    store.clone(),
                    &settings.blocked_domains,
                    &settings.allowed_domains,
                    settings.allowlist_mode,
                )
                .await?,
            ),
            settings: Arc::new(OutboundSettings {
                delivery: settings.delivery.clone(),
                fetch: settings.fetch.clone(),
            }),
        };
        let inbound = Inbound {
            store: store.clone(),
            urls: urls.clone(),
            clock: clock.clone(),
            events: events.clone(),
            fetcher,
            instance_signer: ActorSigner {
                key: instance_key.clone(),
                key_id: urls.instance_key_id(),
            },
            handlers: HandlerRegistry::standard(),
            outbound: outbound.clone(),
            watch_wake: watch_wake.clone(),
            refetches: Arc::default(),
            key_fetches: Arc::default(),
            settings: Arc::new(InboundSettings {
                base_url: settings.base_url.clone(),
                signature_max_skew: settings.signature_max_skew,
                actor_cache_ttl: settings.actor_cache_ttl,
                ecosystems: settings.ecosystems.clone(),
                json_limits: crate::inbound::json_limits::JsonLimits {
                    max_depth: settings.limits.json_max_depth,
                    max_elements: settings.limits.json_max_elements,
                },
            }),
        };
        let watcher = Watcher {
            store: store.clone(),
            urls: urls.clone(),
            clock: clock.clone(),
            events: events.clone(),
            registries: registries.clone(),
            outbound: outbound.clone(),
            watch_wake: watch_wake.clone(),
            registry_wake: Arc::new(Notify::new()),
            shutdown: shutdown.clone(),
            started_at_ms,
            holder: holder_name().into(),
            settings: Arc::new(WatcherSettings {
                watch: settings.watch.clone(),
                advisories: settings.advisories.clone(),
                ecosystems: settings.ecosystems.clone(),
                actor_type: settings.actor_type,
            }),
        };
        let lookups = FirstLookup {
            store: store.clone(),
            registries,
            lazy: Arc::new(LazyLookups::new()),
            settings: Arc::new(LookupSettings {
                ecosystems: settings.ecosystems.clone(),
                watch: settings.watch.clone(),
            }),
        };
        Ok(Self::new(Inner {
            instance_public_pem: instance_key.public_key_pem(),
            urls,
            store,
            events,
            bus,
            broker,
            clock,
            admin_token,
            watch_wake,
            shutdown,
            inbound,
            outbound,
            watcher,
            lookups,
            page_cache,
            settings,
        }))
    }
}

/// This process's name in the database's leases: host, process id and start time,
/// unique among the processes sharing a database (logged with lease take-overs).
fn holder_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "pkgfed".to_owned());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{host}:{}:{started:x}", std::process::id())
}
