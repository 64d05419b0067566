//! The SQLite backend: one file in WAL mode, created and migrated on open.
//!
//! This file holds [`SqliteStore`], opening and migrating; the trait halves are one
//! file each: `federation` ([`Store`] itself: packages, followers, inbound dedup,
//! remote keys with their in-memory copy in `key_cache`, outbox), `delivery` (the
//! trait's entry points) with `delivery_enqueue` (the outbox transaction),
//! `delivery_claim`, `delivery_record` and `delivery_admin`, `watch`, `advisory`, `pages`,
//! `domain_block` (run-time domain blocks) and `metrics` (what a scrape reads). A
//! second backend gets a sibling folder (`store/postgres/`) implementing the same
//! traits of [`crate::store`].

mod advisory;
mod cluster;
mod delivery;
mod delivery_admin;
mod delivery_claim;
mod delivery_enqueue;
mod delivery_record;
mod domain_block;
mod federation;
mod key_cache;
mod metrics;
mod pages;
mod watch;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqlitePool, Transaction};

use self::key_cache::KeyCache;
use crate::store::migrate::SQLITE;
use crate::store::*;

/// A [`Store`] on a SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    /// How the pool connects (never creating a missing file); the readiness check
    /// opens a fresh connection with it.
    probe: SqliteConnectOptions,
    /// In-memory copy of `remote_keys` rows (see [`KeyCache`]).
    keys: Arc<KeyCache>,
}

pub(super) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(db.message().to_owned());
    }
    StoreError::Backend(e)
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` and applies migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let open_err = |message: String| StoreError::Open {
            url: url.to_owned(),
            message,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| open_err(e.to_string()))?
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across process crashes; only an OS crash can lose
            // the last transactions, never corrupt the file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // Only this first connection may create the file. The pool's connections never
        // do, so a database file deleted under a running pkgfed makes requests fail
        // (and `/readyz` say why) instead of quietly starting over on an empty one.
        let first = options.clone().create_if_missing(true);
        sqlx::SqliteConnection::connect_with(&first)
            .await
            .map_err(|e| open_err(e.to_string()))?
            .close()
            .await
            .map_err(|e| open_err(e.to_string()))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // sqlx pings a connection before lending it out (and again when it comes
            // back). For a network database that catches dead connections; a SQLite
            // connection is a local file handle that cannot go stale, so the ping is
            // only an extra round trip to the connection's worker thread per query.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|e| open_err(e.to_string()))?;
        let store = Self {
            pool,
            probe: options,
            keys: Arc::default(),
        };
        store.migrate().await.map_err(|e| open_err(e.to_string()))?;
        Ok(store)
    }

    /// A write transaction that takes the write lock up front, so read-then-write
    /// sequences never fail to upgrade under concurrency.
    pub(super) async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?;
        let known = SQLITE.last().map(|m| m.version).unwrap_or_default();
        if let Some(newest) = applied.last().filter(|v| **v > known) {
            return Err(StoreError::Inconsistent(format!(
                "the database is at schema version {newest} but this pkgfed knows only up to {known}: upgrade pkgfed"
            )));
        }
        for m in SQLITE.iter().filter(|m| !applied.contains(&m.version)) {
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(|source| StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                })?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
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
