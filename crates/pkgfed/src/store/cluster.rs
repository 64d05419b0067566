//! What processes sharing one database coordinate through it: named leases of
//! singleton jobs and generation counters of state every process caches.
//!
//! Registry checks themselves are claimed per package
//! ([`super::watch::WatchStore::claim_due_watches`]), deliveries per delivery
//! ([`super::delivery::DeliveryStore::claim_due`]); the leases here are for the jobs
//! that must run in one process at a time: a registry's change-feed read and the
//! advisory sources' pass.

use async_trait::async_trait;

use super::StoreResult;

/// The generation bumped after a package's or the instance's key is replaced: a
/// process holding parsed signing keys drops them.
pub const SIGNING_KEYS: &str = "signing_keys";
/// The generation bumped after a run-time domain block is added or removed: a process
/// holding the block list re-reads it.
pub const DOMAIN_BLOCKS: &str = "domain_blocks";

/// Generation counters, as read together (0 for a counter never bumped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generations {
    /// [`SIGNING_KEYS`].
    pub signing_keys: i64,
    /// [`DOMAIN_BLOCKS`].
    pub domain_blocks: i64,
}

/// Coordination between processes on one database.
#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Takes or renews the lease `name` for `holder` until `now_ms + ttl_ms`: true when
    /// `holder` holds it now (it was free, expired, or already `holder`'s), false when
    /// another holder's lease is still running.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> StoreResult<bool>;
    /// Gives up `holder`'s lease `name` (a clean shutdown), so another process takes
    /// over at once instead of after the lease runs out.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// Ends every lease and every registry-check claim: for the only process of its
    /// database at start (`serve --role all`), which left them in a previous run.
    async fn release_all_leases(&self) -> StoreResult<()>;
    /// The generation counters.
    async fn generations(&self) -> StoreResult<Generations>;
    /// Bumps the counter `name` ([`SIGNING_KEYS`], [`DOMAIN_BLOCKS`]).
    async fn bump_generation(&self, name: &str) -> StoreResult<()>;
}

/// [`Generations`] from `(name, value)` rows, the same on every backend.
pub(crate) fn generations_from(rows: impl IntoIterator<Item = (String, i64)>) -> Generations {
    let mut g = Generations::default();
    for (name, value) in rows {
        match name.as_str() {
            SIGNING_KEYS => g.signing_keys = value,
            DOMAIN_BLOCKS => g.domain_blocks = value,
            _ => {}
        }
    }
    g
}

/// The [`ClusterStore`] implementation of a backend store with a `pool` field: the
/// same statements on both (SQLite numbers `$1`-style parameters by first use, which
/// here is their order, and both have `ON CONFLICT … DO UPDATE … WHERE` and
/// `RETURNING`). Each backend folder invokes it for its store.
macro_rules! impl_cluster_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::cluster::ClusterStore for $store {
            async fn try_lease(
                &self,
                name: &str,
                holder: &str,
                now_ms: i64,
                ttl_ms: i64,
            ) -> $crate::store::StoreResult<bool> {
                // One statement: the row is taken when absent, expired or already
                // ours; a running lease of another holder leaves it unchanged and
                // returns no row.
                let taken: Option<String> = sqlx::query_scalar(
                    "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
                     WHERE leases.holder = excluded.holder OR leases.until_ms <= $4
                     RETURNING holder",
                )
                .bind(name)
                .bind(holder)
                .bind(now_ms.saturating_add(ttl_ms))
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                Ok(taken.is_some())
            }

            async fn release_lease(&self, name: &str, holder: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
                    .bind(name)
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn release_all_leases(&self) -> $crate::store::StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(backend)?;
                sqlx::query("DELETE FROM leases")
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                sqlx::query("UPDATE watches SET lease_until = NULL WHERE lease_until IS NOT NULL")
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }

            async fn generations(
                &self,
            ) -> $crate::store::StoreResult<$crate::store::cluster::Generations> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT name, value FROM generations")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                Ok($crate::store::cluster::generations_from(rows))
            }

            async fn bump_generation(&self, name: &str) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO generations (name, value) VALUES ($1, 1)
                     ON CONFLICT (name) DO UPDATE SET value = generations.value + 1",
                )
                .bind(name)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_cluster_store;
