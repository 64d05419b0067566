//! [`Store`] on PostgreSQL: packages, followers, inbound dedup, remote keys, the
//! outbox, counts and readiness.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;
use sqlx::Connection;

use super::{PgStore, backend, metrics};
use crate::store::migrate::POSTGRES;
use crate::store::rows;
use crate::store::*;

/// `SELECT <package columns> FROM packages <rest>` as one static string.
macro_rules! select_packages {
    ($rest:literal) => {
        concat!(
            "SELECT id, ecosystem, name_key, name, handle, purl, display_name, description, homepage, repository, license, \
             private_key_pem, public_key_pem, created_at FROM packages ",
            $rest
        )
    };
}

#[async_trait]
impl Store for PgStore {
    async fn instance_key(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT private_key_pem FROM instance_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn put_instance_key(&self, name: &str, pem: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO instance_keys (name, private_key_pem, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(pem)
            .bind(now_unix())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        self.instance_key(name)
            .await?
            .ok_or_else(|| StoreError::Inconsistent("instance key vanished after insert".into()))
    }

    async fn replace_instance_key(&self, name: &str, pem: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO instance_keys (name, private_key_pem, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET private_key_pem = EXCLUDED.private_key_pem",
        )
        .bind(name)
        .bind(pem)
        .bind(now_unix())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn add_package(&self, new: &NewPackage) -> StoreResult<Package> {
        let row = sqlx::query(
            "INSERT INTO packages (ecosystem, name_key, name, handle, purl, display_name, description, homepage, repository, license, private_key_pem, public_key_pem, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id, ecosystem, name_key, name, handle, purl, display_name, description, \
             homepage, repository, license, private_key_pem, public_key_pem, created_at",
        )
            .bind(new.ecosystem.as_str())
            .bind(&new.name_key)
            .bind(&new.name)
            .bind(new.handle.to_ascii_lowercase())
            .bind(&new.purl)
            .bind(&new.meta.display_name)
            .bind(&new.meta.description)
            .bind(&new.meta.homepage)
            .bind(&new.meta.repository)
            .bind(&new.meta.license)
            .bind(&new.private_key_pem)
            .bind(&new.public_key_pem)
            .bind(now_unix())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match backend(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("package {} is already added", new.purl)),
                other => other,
            })?;
        rows::package(&row)
    }

    async fn package_by_id(&self, id: i64) -> StoreResult<Option<Package>> {
        let row = sqlx::query(select_packages!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::package).transpose()
    }

    async fn package_by_handle(&self, handle: &str) -> StoreResult<Option<Package>> {
        let row = sqlx::query(select_packages!("WHERE handle = $1"))
            .bind(handle.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::package).transpose()
    }

    async fn package_by_key(
        &self,
        ecosystem: Ecosystem,
        name_key: &str,
    ) -> StoreResult<Option<Package>> {
        let row = sqlx::query(select_packages!("WHERE ecosystem = $1 AND name_key = $2"))
            .bind(ecosystem.as_str())
            .bind(name_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(rows::package).transpose()
    }

    async fn list_packages(&self, after: Option<i64>, limit: u32) -> StoreResult<Vec<Package>> {
        let rows = sqlx::query(select_packages!("WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after.unwrap_or(0))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(rows::package).collect()
    }

    async fn replace_package_key(
        &self,
        id: i64,
        private_key_pem: &str,
        public_key_pem: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE packages SET private_key_pem = $1, public_key_pem = $2 WHERE id = $3",
        )
        .bind(private_key_pem)
        .bind(public_key_pem)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_package(&self, id: i64) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM packages WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_follower(&self, package_id: i64, f: &NewFollower) -> StoreResult<bool> {
        // One statement: the row is new exactly when `xmax` is 0 (an update of an
        // existing row sets it), so no second query and no race between two.
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO followers (package_id, actor_id, inbox, shared_inbox, follow_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (package_id, actor_id) DO UPDATE SET inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
             follow_id = excluded.follow_id RETURNING (xmax = 0)",
        )
        .bind(package_id)
        .bind(&f.actor_id)
        .bind(&f.inbox)
        .bind(&f.shared_inbox)
        .bind(&f.follow_id)
        .bind(now_unix())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(inserted)
    }

    async fn remove_follower(&self, package_id: i64, actor_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM followers WHERE package_id = $1 AND actor_id = $2")
            .bind(package_id)
            .bind(actor_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn remove_follow_by_id(&self, actor_id: &str, follow_id: &str) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM followers WHERE actor_id = $1 AND follow_id = $2")
            .bind(actor_id)
            .bind(follow_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn remove_actor(&self, actor_id: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let removed = sqlx::query("DELETE FROM followers WHERE actor_id = $1")
            .bind(actor_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        sqlx::query("DELETE FROM remote_keys WHERE actor_id = $1")
            .bind(actor_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }

    async fn followers_page(
        &self,
        package_id: i64,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Follower>> {
        let rows = sqlx::query(
            "SELECT id, package_id, actor_id, inbox, shared_inbox, follow_id, created_at FROM followers \
             WHERE package_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(package_id)
        .bind(after.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows.iter().map(rows::follower).collect())
    }

    async fn count_followers(&self, package_id: i64) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM followers WHERE package_id = $1")
            .bind(package_id)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(n as u64)
    }

    async fn record_inbound(&self, r: &InboundRecord) -> StoreResult<bool> {
        let recipients = serde_json::to_string(&r.recipients).map_err(StoreError::Json)?;
        let done = sqlx::query(
            "INSERT INTO inbound_activities (activity_id, kind, actor, object_id, recipients, raw, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (activity_id) DO NOTHING",
        )
        .bind(&r.activity_id)
        .bind(&r.kind)
        .bind(&r.actor)
        .bind(&r.object_id)
        .bind(recipients)
        .bind(&r.raw)
        .bind(now_unix())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn inbound_exists(&self, activity_id: &str) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM inbound_activities WHERE activity_id = $1)",
        )
        .bind(activity_id)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }

    async fn cached_key(&self, key_id: &str) -> StoreResult<Option<CachedKey>> {
        // No in-process copy as on SQLite: several processes share this table (a
        // key refreshed by one must be seen by the others), and a lookup is one
        // round trip on a pooled connection.
        let row = sqlx::query(
            "SELECT key_id, actor_id, public_key_pem, inbox, shared_inbox, fetched_at FROM remote_keys WHERE key_id = $1",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(rows::cached_key))
    }

    async fn put_cached_key(&self, k: &CachedKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO remote_keys (key_id, actor_id, public_key_pem, inbox, shared_inbox, fetched_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (key_id) DO UPDATE SET actor_id = excluded.actor_id, public_key_pem = excluded.public_key_pem, \
             inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, fetched_at = excluded.fetched_at",
        )
        .bind(&k.key_id)
        .bind(&k.actor_id)
        .bind(&k.public_key_pem)
        .bind(&k.inbox)
        .bind(&k.shared_inbox)
        .bind(k.fetched_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn outbox_page(
        &self,
        package_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxItem>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, activity_id, activity, published FROM outbox WHERE package_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(package_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, activity_id, activity, published)| OutboxItem {
                id,
                activity_id,
                activity,
                published,
            })
            .collect())
    }

    async fn count_outbox(&self, package_id: i64) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE package_id = $1")
            .bind(package_id)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(n as u64)
    }

    async fn counts(&self) -> StoreResult<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM packages) AS packages, (SELECT COUNT(*) FROM followers) AS follows, \
             (SELECT COUNT(DISTINCT actor_id) FROM followers) AS distinct_followers, \
             (SELECT COUNT(*) FROM inbound_activities) AS inbound, (SELECT COUNT(*) FROM remote_keys) AS remote_keys, \
             (SELECT COUNT(*) FROM outbox) AS outbox",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows::counts(&row))
    }

    async fn metrics_counts(&self) -> StoreResult<MetricsCounts> {
        metrics::counts(&self.pool).await
    }

    async fn unready_reason(&self) -> Option<String> {
        let mut conn = match sqlx::PgConnection::connect_with(&self.probe).await {
            Ok(c) => c,
            Err(e) => return Some(format!("database unreachable: {e}")),
        };
        let applied: Result<Vec<i64>, _> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&mut conn)
                .await;
        let _ = conn.close().await;
        match applied {
            Ok(applied) => crate::store::migrate::schema_mismatch(POSTGRES, &applied),
            Err(e) => Some(format!("cannot read the schema version: {e}")),
        }
    }
}
