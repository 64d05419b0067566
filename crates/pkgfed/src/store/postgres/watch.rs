//! [`WatchStore`] on PostgreSQL.

use async_trait::async_trait;
use pkgfed_registries::Ecosystem;
use pkgfed_registries::adapter::Validators;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgStore, backend};
use crate::store::watch::*;
use crate::store::{PackageMeta, StoreResult};

/// The columns [`watch_row`] reads, in its order.
macro_rules! watch_columns {
    () => {
        "package_id, ecosystem, baseline_done, etag, last_modified, interval_ms, next_check_at, consecutive_errors, metadata_hash, last_success_at, last_change_at, newest_release_at"
    };
}

/// "The package `p` has at least one follower."
macro_rules! has_follower {
    () => {
        "EXISTS (SELECT 1 FROM followers f WHERE f.package_id = p.id)"
    };
}

fn watch_row(r: &PgRow) -> WatchRow {
    WatchRow {
        package_id: r.get(0),
        ecosystem: r.get::<String, _>(1).parse().unwrap_or(Ecosystem::Cargo),
        baseline_done: r.get(2),
        validators: Validators {
            etag: r.get(3),
            last_modified: r.get(4),
        },
        interval_ms: r.get(5),
        next_check_at: r.get(6),
        consecutive_errors: r.get(7),
        metadata_hash: r.get(8),
        last_success_at: r.get(9),
        last_change_at: r.get(10),
        newest_release_at: r.get(11),
    }
}

fn post_row(r: &PgRow) -> PostRow {
    PostRow {
        note_id: r.get(0),
        package_id: r.get(1),
        kind: r.get(2),
        version: r.get(3),
        object: r.get(4),
        create_id: r.get(5),
        deleted_at: r.get(6),
    }
}

#[async_trait]
impl WatchStore for PgStore {
    async fn reconcile_tracking(
        &self,
        interval_ms: i64,
        first_check_at: i64,
    ) -> StoreResult<TrackingChanges> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut tracked: Vec<i64> = sqlx::query_scalar(concat!(
            "INSERT INTO watches (package_id, ecosystem, tracked, interval_ms, next_check_at)
             SELECT p.id, p.ecosystem, true, $1, $2 FROM packages p WHERE ",
            has_follower!(),
            " AND NOT EXISTS (SELECT 1 FROM watches w WHERE w.package_id = p.id)
             ON CONFLICT (package_id) DO NOTHING
             RETURNING package_id"
        ))
        .bind(interval_ms)
        .bind(first_check_at)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let again: Vec<i64> = sqlx::query_scalar(concat!(
            "UPDATE watches SET tracked = true, baseline_done = false, etag = NULL, last_modified = NULL,
                 interval_ms = $1, next_check_at = $2, consecutive_errors = 0, last_error = NULL
             WHERE NOT tracked AND package_id IN (SELECT p.id FROM packages p WHERE ",
            has_follower!(),
            ") RETURNING package_id"
        ))
        .bind(interval_ms)
        .bind(first_check_at)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tracked.extend(again);
        let untracked: Vec<i64> = sqlx::query_scalar(
            "UPDATE watches SET tracked = false
             WHERE tracked AND NOT EXISTS (SELECT 1 FROM followers f WHERE f.package_id = watches.package_id)
             RETURNING package_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(TrackingChanges { tracked, untracked })
    }

    async fn claim_due_watches(
        &self,
        ecosystem: Ecosystem,
        now_ms: i64,
        limit: u32,
        lease_ms: i64,
    ) -> StoreResult<Vec<WatchRow>> {
        let rows = sqlx::query(concat!(
            "UPDATE watches SET lease_until = $1
             WHERE package_id IN (
                 SELECT package_id FROM watches
                 WHERE tracked AND ecosystem = $2 AND next_check_at <= $3
                   AND (lease_until IS NULL OR lease_until <= $3)
                 ORDER BY next_check_at LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING ",
            watch_columns!()
        ))
        .bind(now_ms.saturating_add(lease_ms))
        .bind(ecosystem.as_str())
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        // RETURNING comes in no particular order.
        let mut due: Vec<WatchRow> = rows.iter().map(watch_row).collect();
        due.sort_by_key(|w| (w.next_check_at, w.package_id));
        Ok(due)
    }

    async fn unclaim_watches(&self, package_ids: &[i64]) -> StoreResult<()> {
        if package_ids.is_empty() {
            return Ok(());
        }
        sqlx::query("UPDATE watches SET lease_until = NULL WHERE package_id = ANY($1)")
            .bind(package_ids)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn next_due(&self, ecosystem: Ecosystem) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "SELECT MIN(GREATEST(next_check_at, COALESCE(lease_until, 0))) FROM watches WHERE tracked AND ecosystem = $1",
        )
        .bind(ecosystem.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }

    async fn watch(&self, package_id: i64) -> StoreResult<Option<WatchRow>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            watch_columns!(),
            " FROM watches WHERE package_id = $1"
        ))
        .bind(package_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(watch_row))
    }

    async fn save_check(&self, package_id: i64, u: &CheckUpdate) -> StoreResult<()> {
        let (set_validators, etag, last_modified) = match &u.validators {
            Some(v) => (true, v.etag.clone(), v.last_modified.clone()),
            None => (false, None, None),
        };
        sqlx::query(
            "UPDATE watches SET
                etag = CASE WHEN $1 THEN $2 ELSE etag END,
                last_modified = CASE WHEN $1 THEN $3 ELSE last_modified END,
                interval_ms = $4,
                next_check_at = CASE WHEN next_check_at > $6 THEN LEAST(next_check_at, $5) ELSE $5 END,
                last_checked_at = $6,
                last_success_at = CASE WHEN $7::text IS NULL THEN $6 ELSE last_success_at END,
                consecutive_errors = CASE WHEN $7::text IS NULL THEN 0 ELSE consecutive_errors + 1 END,
                last_error = $7,
                baseline_done = baseline_done OR $8,
                last_change_at = CASE WHEN $9 THEN $6 ELSE last_change_at END,
                metadata_hash = COALESCE($10, metadata_hash),
                newest_release_at = COALESCE($12, newest_release_at),
                lease_until = NULL
             WHERE package_id = $11",
        )
        .bind(set_validators)
        .bind(etag)
        .bind(last_modified)
        .bind(u.interval_ms)
        .bind(u.next_check_at)
        .bind(u.checked_at)
        .bind(&u.error)
        .bind(u.baseline_done)
        .bind(u.changed)
        .bind(&u.metadata_hash)
        .bind(package_id)
        .bind(u.newest_release_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn mark_due(
        &self,
        ecosystem: Ecosystem,
        keys: &[String],
        now_ms: i64,
    ) -> StoreResult<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let done = sqlx::query(
            "UPDATE watches SET next_check_at = $1
             WHERE tracked AND package_id IN (
                 SELECT p.id FROM packages p
                 WHERE p.ecosystem = $2 AND p.name_key = ANY($3))",
        )
        .bind(now_ms)
        .bind(ecosystem.as_str())
        .bind(keys)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn mark_all_due(&self, ecosystem: Ecosystem, now_ms: i64) -> StoreResult<u64> {
        let done =
            sqlx::query("UPDATE watches SET next_check_at = $1 WHERE tracked AND ecosystem = $2")
                .bind(now_ms)
                .bind(ecosystem.as_str())
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn releases(&self, package_id: i64) -> StoreResult<Vec<ReleaseRow>> {
        let rows = sqlx::query(
            "SELECT version, state, prerelease, deprecated, note_id, posts_made, published_at
             FROM releases WHERE package_id = $1 ORDER BY id",
        )
        .bind(package_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| ReleaseRow {
                version: r.get(0),
                state: ReleaseState::parse(&r.get::<String, _>(1)),
                prerelease: r.get(2),
                deprecated: r.get(3),
                note_id: r.get(4),
                posts_made: r.get(5),
                published_at: r.get(6),
            })
            .collect())
    }

    async fn put_release(&self, package_id: i64, row: &ReleaseRow, now_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO releases (package_id, version, state, prerelease, deprecated, note_id, posts_made, published_at, seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (package_id, version) DO UPDATE SET
                state = excluded.state, prerelease = excluded.prerelease,
                deprecated = excluded.deprecated, note_id = excluded.note_id,
                posts_made = excluded.posts_made,
                published_at = COALESCE(excluded.published_at, releases.published_at)",
        )
        .bind(package_id)
        .bind(&row.version)
        .bind(row.state.as_str())
        .bind(row.prerelease)
        .bind(&row.deprecated)
        .bind(&row.note_id)
        .bind(row.posts_made)
        .bind(row.published_at)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn put_post(&self, post: &PostRow, now_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO posts (note_id, package_id, kind, version, object, create_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (note_id) DO UPDATE SET object = excluded.object, updated_at = excluded.updated_at",
        )
        .bind(&post.note_id)
        .bind(post.package_id)
        .bind(&post.kind)
        .bind(&post.version)
        .bind(&post.object)
        .bind(&post.create_id)
        .bind(now_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn delete_post(&self, note_id: &str, now_ms: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let create: Option<String> = sqlx::query_scalar(
            "UPDATE posts SET deleted_at = COALESCE(deleted_at, $1), updated_at = $2 WHERE note_id = $3 RETURNING create_id",
        )
        .bind(now_ms)
        .bind(now_ms)
        .bind(note_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(create) = create {
            sqlx::query("DELETE FROM outbox WHERE activity_id = $1")
                .bind(create)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn post(&self, note_id: &str) -> StoreResult<Option<PostRow>> {
        let row = sqlx::query(
            "SELECT note_id, package_id, kind, version, object, create_id, deleted_at FROM posts WHERE note_id = $1",
        )
        .bind(note_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.as_ref().map(post_row))
    }

    async fn update_package_meta(&self, package_id: i64, meta: &PackageMeta) -> StoreResult<()> {
        sqlx::query(
            "UPDATE packages SET display_name = $1, description = $2, homepage = $3, repository = $4, license = $5 WHERE id = $6",
        )
        .bind(&meta.display_name)
        .bind(&meta.description)
        .bind(&meta.homepage)
        .bind(&meta.repository)
        .bind(&meta.license)
        .bind(package_id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn watch_counts(&self, ecosystem: Ecosystem, now_ms: i64) -> StoreResult<WatchCounts> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE next_check_at <= $1), COUNT(*) FILTER (WHERE consecutive_errors > 0),
                    MAX(last_success_at), COUNT(*) FILTER (WHERE next_check_at + interval_ms <= $1)
             FROM watches WHERE tracked AND ecosystem = $2",
        )
        .bind(now_ms)
        .bind(ecosystem.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(WatchCounts {
            tracked: r.get::<i64, _>(0) as u64,
            due: r.get::<i64, _>(1) as u64,
            erroring: r.get::<i64, _>(2) as u64,
            last_success_at: r.get(3),
            overdue: r.get::<i64, _>(4) as u64,
        })
    }

    async fn registry_state(&self, ecosystem: Ecosystem) -> StoreResult<RegistryState> {
        let row = sqlx::query(
            "SELECT feed_cursor, last_feed_at FROM registry_state WHERE ecosystem = $1",
        )
        .bind(ecosystem.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row
            .map(|r| RegistryState {
                feed_cursor: r.get(0),
                last_feed_at: r.get(1),
            })
            .unwrap_or_default())
    }

    async fn set_feed_cursor(
        &self,
        ecosystem: Ecosystem,
        cursor: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO registry_state (ecosystem, feed_cursor, last_feed_at) VALUES ($1, $2, $3)
             ON CONFLICT (ecosystem) DO UPDATE SET feed_cursor = COALESCE(excluded.feed_cursor, registry_state.feed_cursor),
                 last_feed_at = excluded.last_feed_at",
        )
        .bind(ecosystem.as_str())
        .bind(cursor)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
