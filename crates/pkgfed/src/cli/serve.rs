//! `pkgfed serve`.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::app::AppState;
use crate::config::Config;
use crate::web;

/// Validates the configuration, opens the store, binds and serves until SIGINT or
/// SIGTERM.
pub async fn run(mut config: Config, dev: bool) -> anyhow::Result<()> {
    if dev {
        config.apply_dev_profile();
    }
    let settings = config.validate()?;
    if !dev {
        // Every enabled ecosystem needs its registry endpoint (none is built in).
        settings.watch.require_registries()?;
    }
    if settings.fetch.allow_private_addresses {
        tracing::warn!(
            "federation.allow_private_addresses is on: outbound requests may reach private networks. For local testing only."
        );
    }
    let listen = settings.listen;
    let grace = settings.shutdown_grace;
    let state = AppState::build(settings).await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (server.listen)"))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        base_url = %state.urls.base(),
        database = %crate::store::redacted_url(&state.settings.database_url),
        "pkgfed serving"
    );
    crate::server::run(listener, state, grace, web::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
