//! The PostgreSQL backend: a connection pool on one database, migrated on open.
//!
//! This file holds [`PgStore`], opening and migrating; the trait halves are one file
//! each, as in `store/sqlite/`: `federation` ([`Store`] itself: packages, followers,
//! inbound dedup, keys, outbox), `delivery` (the trait's entry points) with
//! `delivery_enqueue` (the outbox transaction), `delivery_claim`, `delivery_record`
//! and `delivery_admin`, `watch`, `advisory`, `pages`, `domain_block` and `metrics`.
//!
//! Several pkgfed processes may share one database: migrations run under an advisory
//! lock, claims lock their rows (`FOR UPDATE SKIP LOCKED`) and read-then-write steps
//! lock what they read. Flags are `BOOLEAN` and integers `BIGINT` (the SQLite schema
//! stores both as `INTEGER`); otherwise the tables are the same.

mod advisory;
mod cluster;
mod delivery;
mod delivery_admin;
mod delivery_claim;
mod delivery_enqueue;
mod delivery_record;
mod domain_block;
mod federation;
mod metrics;
mod pages;
mod watch;

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::store::migrate::POSTGRES;
use crate::store::*;

/// A [`Store`] on a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
    /// How the pool connects; the readiness check opens a fresh connection with it.
    pub(super) probe: PgConnectOptions,
}

/// Key of the advisory lock that serialises migrations of one database (two
/// processes starting at once must not both apply a migration).
const MIGRATION_LOCK: i64 = 0x706b_6766_6564_0001;

pub(super) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(db.message().to_owned());
    }
    StoreError::Backend(e)
}

/// The first TLS file the URL names (`sslrootcert`, `sslcert`, `sslkey`) that cannot be
/// read, as a message naming it: the driver would only say "No such file or directory".
fn unreadable_tls_file(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed.query_pairs().find_map(|(key, path)| {
        let named = matches!(
            key.as_ref(),
            "sslrootcert"
                | "ssl-root-cert"
                | "ssl-ca"
                | "sslcert"
                | "ssl-cert"
                | "sslkey"
                | "ssl-key"
        );
        let error = std::fs::File::open(path.as_ref()).err().filter(|_| named)?;
        Some(format!("{key}={path} cannot be read: {error}"))
    })
}

/// The user to connect as when the URL names none (`postgres:///pkgfed?host=…`): as
/// libpq, `PGUSER`, else the user pkgfed runs as (`$USER`, which systemd sets for a
/// service's `User=`). `Ok(None)`: the URL names one, or `PGUSER` does (the driver
/// reads it). The driver's own fallback would be a role named "anonymous".
fn default_user(
    url: &str,
    pguser: Result<String, std::env::VarError>,
    user: Result<String, std::env::VarError>,
) -> Result<Option<String>, String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(None);
    };
    let named = !parsed.username().is_empty() || parsed.query_pairs().any(|(k, _)| k == "user");
    if named || pguser.is_ok_and(|u| !u.is_empty()) {
        return Ok(None);
    }
    match user {
        Ok(user) if !user.is_empty() => Ok(Some(user)),
        _ => Err("it names no PostgreSQL user and $USER is not set: write \
                  postgres://USER@host/database or add ?user=USER"
            .into()),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`) and
    /// applies migrations. The database must exist; errors never show the password.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let open_err = |message: String| StoreError::Open {
            url: redacted_url(url),
            message,
        };
        let options = PgConnectOptions::from_str(url).map_err(|e| open_err(e.to_string()))?;
        unreadable_tls_file(url).map_or(Ok(()), |m| Err(open_err(m)))?;
        let options = match default_user(url, std::env::var("PGUSER"), std::env::var("USER")) {
            Ok(None) => options,
            Ok(Some(user)) => options.username(&user),
            Err(message) => return Err(open_err(message)),
        };
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|e| open_err(e.to_string()))?;
        let store = Self {
            pool,
            probe: options,
        };
        store.migrate().await.map_err(|e| open_err(e.to_string()))?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
        let known = POSTGRES.last().map(|m| m.version).unwrap_or_default();
        if let Some(newest) = applied.last().filter(|v| **v > known) {
            return Err(StoreError::Inconsistent(format!(
                "the database is at schema version {newest} but this pkgfed knows only up to {known}: upgrade pkgfed"
            )));
        }
        for m in POSTGRES.iter().filter(|m| !applied.contains(&m.version)) {
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                })?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(now_unix())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        tx.commit().await.map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::default_user;
    use std::env::VarError::NotPresent;

    #[test]
    fn a_url_without_a_user_connects_as_pguser_or_the_process_user() {
        let socket = "postgres:///pkgfed?host=/run/postgresql";
        let me = || Ok("pkgfed".to_owned());
        assert_eq!(
            default_user(socket, Err(NotPresent), me()),
            Ok(Some("pkgfed".into()))
        );
        assert_eq!(default_user(socket, Ok("ops".into()), me()), Ok(None));
        for named in [
            "postgres://app@db/pkgfed",
            "postgres:///pkgfed?host=/run/postgresql&user=app",
        ] {
            assert_eq!(
                default_user(named, Err(NotPresent), Err(NotPresent)),
                Ok(None),
                "{named}"
            );
        }
        let err = default_user(socket, Err(NotPresent), Err(NotPresent)).unwrap_err();
        assert!(err.contains("?user=USER"), "{err}");
    }
}
