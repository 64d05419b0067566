//! `pkgfed serve`.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::app::AppState;
use crate::config::Config;
use crate::server::Role;
use crate::web;

/// Validates the configuration, opens the store, binds and serves in `role` until
/// SIGINT or SIGTERM.
pub async fn run(mut config: Config, dev: bool, role: Role) -> anyhow::Result<()> {
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
    if role != Role::All
        && crate::store::backend_of(&settings.database_url) != Some(crate::store::Backend::Postgres)
    {
        anyhow::bail!(
            "--role {} needs PostgreSQL: set storage.database_url (PKGFED_STORAGE_DATABASE_URL) to postgres://user:password@host/database. A SQLite file is one process's database; use --role all (the default) with it",
            role.as_str()
        );
    }
    if role == Role::Web && settings.broker.is_none() {
        tracing::info!(
            "no [broker]: the workers find work queued here on their next look at the database (within a second or two)"
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
        role = role.as_str(),
        "pkgfed serving"
    );
    crate::server::run_as(role, listener, state, grace, web::shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
