//! [`ClusterStore`] on SQLite.

use async_trait::async_trait;

use super::{SqliteStore, backend};
use crate::store::StoreResult;
use crate::store::cluster::{ClusterStore, Generations, generations_from};

#[async_trait]
impl ClusterStore for SqliteStore {
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        // One statement: the row is taken when absent, expired or already ours; a
        // running lease of another holder leaves it unchanged and returns no row.
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
             WHERE leases.holder = excluded.holder OR leases.until_ms <= ?4
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

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn release_all_leases(&self) -> StoreResult<()> {
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

    async fn generations(&self) -> StoreResult<Generations> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, value FROM generations")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(generations_from(rows))
    }

    async fn bump_generation(&self, name: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO generations (name, value) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET value = generations.value + 1",
        )
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
