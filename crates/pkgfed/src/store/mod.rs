//! Storage behind one interface whose callers do not know the backend.
//!
//! [`Store`] is what the rest of pkgfed talks to. Two backends implement it, each in
//! its own folder with its own migrations:
//!
//! - [`sqlite::SqliteStore`]: a SQLite file in WAL mode (`sqlite://pkgfed.db`), the
//!   embedded default: nothing else to install.
//! - [`postgres::PgStore`]: a PostgreSQL database (`postgres://user:pass@host/db`),
//!   which several pkgfed processes can share (claims lock their rows with
//!   `FOR UPDATE SKIP LOCKED`).
//!
//! [`open`] picks one from the URL's scheme; callers do not change. Migrations are
//! versioned SQL files under `migrations/<backend>/`, with the same versions and
//! names on both, applied on open (see [`migrate`]). One test suite
//! (`tests/store.rs` and the delivery tests) runs against both.

pub mod advisory;
pub mod cluster;
pub mod delivery;
pub mod domain_block;
mod host_health;
pub mod migrate;
pub mod model;
pub mod pages;
pub mod postgres;
mod rows;
pub mod sqlite;
pub mod watch;

use std::sync::Arc;

use async_trait::async_trait;
pub use model::*;
use pkgfed_registries::Ecosystem;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique record already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database could not be opened or migrated.
    #[error("cannot open database {url} (storage.database_url): {message}")]
    Open {
        /// The database URL (credentials redacted).
        url: String,
        /// What failed.
        message: String,
    },
    /// The backend failed; the driver's error is kept as the source.
    #[error("database error: {0}")]
    Backend(#[source] sqlx::Error),
    /// A migration failed.
    #[error("database error: migration {version} ({name}) failed: {source}")]
    Migration {
        /// Its version.
        version: i64,
        /// Its name.
        name: &'static str,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// A value could not be written as, or read from, the JSON stored in a column.
    #[error("database error: {0}")]
    Json(#[from] serde_json::Error),
    /// The data is not what this pkgfed expects (a newer schema, an unknown
    /// ecosystem, a row that vanished).
    #[error("database error: {0}")]
    Inconsistent(String),
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The shared store handle.
pub type SharedStore = Arc<dyn Store>;

pub use delivery::DeliveryStore;
pub use delivery::host_of;
pub use watch::WatchStore;

/// Everything pkgfed persists: federation state here, delivery state in
/// [`DeliveryStore`], registry watching in [`WatchStore`].
#[async_trait]
pub trait Store:
    DeliveryStore
    + WatchStore
    + advisory::AdvisoryStore
    + pages::PageStore
    + domain_block::DomainBlockStore
    + cluster::ClusterStore
    + Send
    + Sync
    + 'static
{
    /// The instance's private key with this name, if generated.
    async fn instance_key(&self, name: &str) -> StoreResult<Option<String>>;
    /// Stores `pem` as the instance key `name` unless one exists; returns the stored key
    /// (so two processes racing on first start agree on one key).
    async fn put_instance_key(&self, name: &str, pem: &str) -> StoreResult<String>;
    /// Replaces (or writes) the instance key `name`: a rotation.
    async fn replace_instance_key(&self, name: &str, pem: &str) -> StoreResult<()>;

    /// Adds a package actor. [`StoreError::Conflict`] if it exists.
    async fn add_package(&self, new: &NewPackage) -> StoreResult<Package>;
    /// The package with this store id.
    async fn package_by_id(&self, id: i64) -> StoreResult<Option<Package>>;
    /// The package with this handle (case-insensitive).
    async fn package_by_handle(&self, handle: &str) -> StoreResult<Option<Package>>;
    /// The package with this ecosystem and normalised name.
    async fn package_by_key(
        &self,
        ecosystem: Ecosystem,
        name_key: &str,
    ) -> StoreResult<Option<Package>>;
    /// Packages ordered by id, after the cursor.
    async fn list_packages(&self, after: Option<i64>, limit: u32) -> StoreResult<Vec<Package>>;
    /// Replaces a package actor's key pair (a rotation); false if it does not exist.
    async fn replace_package_key(
        &self,
        id: i64,
        private_key_pem: &str,
        public_key_pem: &str,
    ) -> StoreResult<bool>;
    /// Removes a package with its followers and outbox; false if it did not exist.
    async fn remove_package(&self, id: i64) -> StoreResult<bool>;

    /// Records a follower; returns true when new, false when it was already there
    /// (its inbox and follow id are refreshed).
    async fn add_follower(&self, package_id: i64, follower: &NewFollower) -> StoreResult<bool>;
    /// Removes one follow relationship; false if there was none.
    async fn remove_follower(&self, package_id: i64, actor_id: &str) -> StoreResult<bool>;
    /// Removes the follow created by `follow_id` of `actor_id`; returns how many.
    async fn remove_follow_by_id(&self, actor_id: &str, follow_id: &str) -> StoreResult<u64>;
    /// Removes an actor from every package it follows and forgets its keys; returns
    /// how many follows were removed.
    async fn remove_actor(&self, actor_id: &str) -> StoreResult<u64>;
    /// A page of a package's followers ordered by id, after the cursor.
    async fn followers_page(
        &self,
        package_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Follower>>;
    /// How many follow a package.
    async fn count_followers(&self, package_id: i64) -> StoreResult<u64>;

    /// Persists a verified inbound activity; false if its id was seen before (dedup).
    async fn record_inbound(&self, record: &InboundRecord) -> StoreResult<bool>;
    /// Whether an inbound activity with this id was persisted before.
    async fn inbound_exists(&self, activity_id: &str) -> StoreResult<bool>;

    /// A cached remote key.
    async fn cached_key(&self, key_id: &str) -> StoreResult<Option<CachedKey>>;
    /// Caches (or refreshes) a remote key.
    async fn put_cached_key(&self, key: &CachedKey) -> StoreResult<()>;

    /// A page of a package's outbox, newest first, before the cursor.
    async fn outbox_page(
        &self,
        package_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>>;
    /// How many activities a package's outbox holds.
    async fn count_outbox(&self, package_id: i64) -> StoreResult<u64>;

    /// Row counts of the federation tables.
    async fn counts(&self) -> StoreResult<Counts>;

    /// The figures `/metrics` reads at scrape time (bounded queries on indexes).
    async fn metrics_counts(&self) -> StoreResult<MetricsCounts>;

    /// Why the database cannot serve requests now (`/readyz`), or `None` when it can:
    /// it answers on a fresh connection (not one kept open, which would still work on a
    /// deleted file) and its schema is exactly the one this binary migrates to.
    async fn unready_reason(&self) -> Option<String>;
}

/// Opens the store named by `database_url`, creating (SQLite) and migrating it as
/// needed: `sqlite:` for a SQLite file, `postgres://` or `postgresql://` for a
/// PostgreSQL database that exists.
pub async fn open(database_url: &str) -> StoreResult<SharedStore> {
    match backend_of(database_url) {
        Some(Backend::Sqlite) => Ok(Arc::new(sqlite::SqliteStore::open(database_url).await?)),
        Some(Backend::Postgres) => Ok(Arc::new(postgres::PgStore::open(database_url).await?)),
        None => Err(StoreError::Open {
            url: redacted_url(database_url),
            message: "unsupported database URL: use sqlite://path/to/file.db or postgres://user:password@host/database".into(),
        }),
    }
}

/// The storage backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// The backend a database URL names, from its scheme; `None` when it names none.
pub fn backend_of(database_url: &str) -> Option<Backend> {
    if database_url.starts_with("sqlite:") {
        Some(Backend::Sqlite)
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Some(Backend::Postgres)
    } else {
        None
    }
}

/// `url` with its password (if any) replaced by `redacted`: what logs, errors and
/// `pkgfed config check` show of a database (or any) URL; other text is unchanged.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let in_query = parsed.query_pairs().any(|(k, _)| k == "password");
            if parsed.password().is_none() && !in_query {
                return url.to_owned();
            }
            if parsed.password().is_some() && parsed.set_password(Some("redacted")).is_err() {
                return url.to_owned();
            }
            if in_query {
                // libpq and sqlx also take `?password=`: keep the other settings.
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "password" {
                            "redacted".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        // Unparsable yet with user information: keep the scheme and what follows `@`.
        Err(_) => match (url.split_once("://"), url.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, rest))) => format!("{scheme}://redacted@{rest}"),
            _ => url.to_owned(),
        },
    }
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_a_backend_and_hide_passwords() {
        assert_eq!(backend_of("sqlite://pkgfed.db"), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("mysql://u@h/db"), None);
        let shown = redacted_url("postgres://pkgfed:s3cret@db.internal:5432/pkgfed");
        assert_eq!(shown, "postgres://pkgfed:redacted@db.internal:5432/pkgfed");
        assert!(!redacted_url("postgres://u:s3cret@[bad/db").contains("s3cret"));
        assert_eq!(redacted_url("sqlite://pkgfed.db"), "sqlite://pkgfed.db");
        let shown = redacted_url(
            "postgres://pkgfed@db.internal/pkgfed?sslmode=verify-full&password=s3cret&sslrootcert=/etc/ca.pem",
        );
        assert_eq!(
            shown,
            "postgres://pkgfed@db.internal/pkgfed?sslmode=verify-full&password=redacted&sslrootcert=%2Fetc%2Fca.pem"
        );
    }
}
