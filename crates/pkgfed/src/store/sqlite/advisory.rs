//! [`AdvisoryStore`] on SQLite.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;
use sqlx::Row;

use super::{SqliteStore, backend};
use crate::store::advisory::*;
use crate::store::rows;
use crate::store::{StoreError, StoreResult};

#[async_trait]
impl AdvisoryStore for SqliteStore {
    async fn canonical_advisory(&self, ids: &[String]) -> StoreResult<Option<String>> {
        let ids = serde_json::to_string(ids).map_err(StoreError::Json)?;
        sqlx::query_scalar(
            "SELECT advisory_id FROM advisory_aliases WHERE alias IN (SELECT value FROM json_each(?))
             ORDER BY advisory_id LIMIT 1",
        )
        .bind(ids)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory(&self, advisory_id: &str) -> StoreResult<Option<StoredAdvisory>> {
        let row = sqlx::query(
            "SELECT advisory_id, record, modified, withdrawn FROM advisories WHERE advisory_id = ?",
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
            "INSERT INTO advisories (advisory_id, record, modified, withdrawn, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (advisory_id) DO UPDATE SET record = excluded.record, modified = excluded.modified,
                 withdrawn = excluded.withdrawn, pending = 1, updated_at = excluded.updated_at",
        )
        .bind(&a.advisory_id)
        .bind(&a.record)
        .bind(a.modified)
        .bind(i64::from(a.withdrawn))
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM advisory_packages WHERE advisory_id = ?")
            .bind(&a.advisory_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        for (eco, key) in packages {
            sqlx::query(
                "INSERT OR IGNORE INTO advisory_packages (advisory_id, ecosystem, name_key) VALUES (?, ?, ?)",
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
                "INSERT OR IGNORE INTO advisory_aliases (alias, advisory_id) VALUES (?, ?)",
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
        sqlx::query_scalar(
            "SELECT advisory_id FROM advisories WHERE pending = 1 ORDER BY advisory_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory_acted_on(&self, advisory_id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE advisories SET pending = 0 WHERE advisory_id = ?")
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
             WHERE ap.ecosystem = ? AND ap.name_key = ? ORDER BY a.advisory_id",
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
             WHERE ap.advisory_id = ? ORDER BY p.id",
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
             WHERE package_id = ? AND advisory_id = ?",
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
             VALUES (?, ?, ?, ?, ?, ?)
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
             WHERE w.tracked = 1 AND w.baseline_done = 1
               AND NOT EXISTS (SELECT 1 FROM advisory_baselines b WHERE b.package_id = w.package_id)",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)
    }

    async fn advisory_baseline_done(&self, package_id: i64, now_ms: i64) -> StoreResult<()> {
        sqlx::query("INSERT OR IGNORE INTO advisory_baselines (package_id, done_at) VALUES (?, ?)")
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
             WHERE w.tracked = 1",
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
             WHERE ap.package_id = ? AND ap.state = 'posted' AND p.deleted_at IS NULL
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
        sqlx::query_scalar("SELECT state FROM advisory_sources WHERE source = ?")
            .bind(source)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn set_advisory_source_state(&self, source: &str, state: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO advisory_sources (source, state) VALUES (?, ?)
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
