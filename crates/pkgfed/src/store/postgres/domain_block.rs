//! PostgreSQL half of [`DomainBlockStore`]: the `domain_blocks` table (migration 6).

use async_trait::async_trait;

use super::{PgStore, backend};
use crate::store::StoreResult;
use crate::store::domain_block::{DomainBlock, DomainBlockStore};

#[async_trait]
impl DomainBlockStore for PgStore {
    async fn domain_blocks(&self) -> StoreResult<Vec<DomainBlock>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT domain, reason, created_at FROM domain_blocks ORDER BY domain")
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(domain, reason, created_at)| DomainBlock {
                domain,
                reason,
                created_at,
            })
            .collect())
    }

    async fn add_domain_block(&self, block: &DomainBlock) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO domain_blocks (domain, reason, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (domain) DO NOTHING",
        )
        .bind(&block.domain)
        .bind(&block.reason)
        .bind(block.created_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_domain_block(&self, domain: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM domain_blocks WHERE domain = $1")
            .bind(domain)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}
