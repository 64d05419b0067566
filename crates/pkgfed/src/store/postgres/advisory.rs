//! [`AdvisoryStore`] on PostgreSQL.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;
use sqlx::Row;

use super::{PgStore, backend};
use crate::store::StoreResult;
use crate::store::advisory::*;
use crate::store::rows;

#[async_trait]
impl AdvisoryStore for PgStore {
    async fn canonical_advisory(&self, ids: &[String]) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT advisory_id FROM advisory_aliases WHERE alias = ANY($1)
             ORDER BY advisory_id LIMIT 1",
        )
        .bind(ids)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory(&self, advisory_id: &str) -> StoreResult<Option<StoredAdvisory>> {
        let row = sqlx::query(
            "SELECT advisory_id, record, modified, withdrawn FROM advisories WHERE advisory_id = $1",
        )
        .bind(advisory_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(rows::advisory))
    }

    async fn put_advisory(
        &self,
        a: &StoredAdvisory,
        ids: &[String],
        packages: &[(Ecosystem, String)],
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO advisories (advisory_id, record, modified, withdrawn, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (advisory_id) DO UPDATE SET record = excluded.record, modified = excluded.modified,
                 withdrawn = excluded.withdrawn, pending = true, updated_at = excluded.updated_at",
        )
        .bind(&a.advisory_id)
        .bind(&a.record)
        .bind(a.modified)
        .bind(a.withdrawn)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = $1")
            .bind(&a.advisory_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        for (eco, key) in packages {
            sqlx::query(
                "INSERT INTO advisory_packages (advisory_id, ecosystem, name_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(&a.advisory_id)
            .bind(eco.as_str())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        for id in ids {
            sqlx::query(
                "INSERT INTO advisory_aliases (alias, advisory_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&a.advisory_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn pending_advisories(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT advisory_id FROM advisories WHERE pending ORDER BY advisory_id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn advisory_acted_on(&self, advisory_id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE advisories SET pending = false WHERE advisory_id = $1")
            .bind(advisory_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn advisories_naming(
        &self,
        ecosystem: Ecosystem,
        name_key: &str,
    ) -> StoreResult<Vec<StoredAdvisory>> {
        let rows = sqlx::query(
            "SELECT a.advisory_id, a.record, a.modified, a.withdrawn
             FROM advisory_packages ap JOIN advisories a ON a.advisory_id = ap.advisory_id
             WHERE ap.ecosystem = $1 AND ap.name_key = $2 ORDER BY a.advisory_id",
        )
        .bind(ecosystem.as_str())
        .bind(name_key)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(rows::advisory).collect())
    }

    async fn packages_named_by(&self, advisory_id: &str) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT p.id FROM advisory_packages ap
             JOIN packages p ON p.ecosystem = ap.ecosystem AND p.name_key = ap.name_key
             WHERE ap.advisory_id = $1 ORDER BY p.id",
        )
        .bind(advisory_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory_post(
        &self,
        package_id: i64,
        advisory_id: &str,
    ) -> StoreResult<Option<AdvisoryPostRow>> {
        let row = sqlx::query(
            "SELECT package_id, advisory_id, state, note_id, revision FROM advisory_posts
             WHERE package_id = $1 AND advisory_id = $2",
        )
        .bind(package_id)
        .bind(advisory_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.map(|r| AdvisoryPostRow {
            package_id: r.get(0),
            advisory_id: r.get(1),
            state: r.get(2),
            note_id: r.get(3),
            revision: r.get(4),
        }))
    }

    async fn put_advisory_post(&self, row: &AdvisoryPostRow, now_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO advisory_posts (package_id, advisory_id, state, note_id, revision, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (package_id, advisory_id) DO UPDATE SET state = excluded.state,
                 note_id = excluded.note_id, revision = excluded.revision, updated_at = excluded.updated_at",
        )
        .bind(row.package_id)
        .bind(&row.advisory_id)
        .bind(&row.state)
        .bind(&row.note_id)
        .bind(&row.revision)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn packages_needing_advisory_baseline(&self) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT w.package_id FROM watches w
             WHERE w.tracked AND w.baseline_done
               AND NOT EXISTS (SELECT 1 FROM advisory_baselines b WHERE b.package_id = w.package_id)",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory_baseline_done(&self, package_id: i64, now_ms: i64) -> StoreResult<()> {
        sqlx::query("INSERT INTO advisory_baselines (package_id, done_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(package_id)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn advisory_tracked_packages(&self) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT w.package_id FROM watches w JOIN advisory_baselines b ON b.package_id = w.package_id
             WHERE w.tracked",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn posted_advisories(
        &self,
        package_id: i64,
    ) -> StoreResult<Vec<(String, crate::store::OutboxItem)>> {
        let rows = sqlx::query(
            "SELECT ap.advisory_id, o.id, o.activity_id, o.activity, o.published
             FROM advisory_posts ap
             JOIN posts p ON p.note_id = ap.note_id
             JOIN outbox o ON o.activity_id = p.create_id
             WHERE ap.package_id = $1 AND ap.state = 'posted' AND p.deleted_at IS NULL
             ORDER BY o.id",
        )
        .bind(package_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    crate::store::OutboxItem {
                        id: r.get(1),
                        activity_id: r.get(2),
                        activity: r.get(3),
                        published: r.get(4),
                    },
                )
            })
            .collect())
    }

    async fn advisory_source_state(&self, source: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT state FROM advisory_sources WHERE source = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_advisory_source_state(&self, source: &str, state: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO advisory_sources (source, state) VALUES ($1, $2)
             ON CONFLICT (source) DO UPDATE SET state = excluded.state",
        )
        .bind(source)
        .bind(state)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
