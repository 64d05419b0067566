//! [`PageStore`] on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, backend};
use crate::store::advisory::StoredAdvisory;
use crate::store::pages::*;
use crate::store::watch::{ReleaseRow, ReleaseState};
use crate::store::{Package, StoreResult};

#[async_trait]
impl PageStore for SqliteStore {
    async fn recent_releases(
        &self,
        package_id: i64,
        limit: u32,
    ) -> StoreResult<Vec<RecentRelease>> {
        let rows = sqlx::query(
            "SELECT r.version, r.state, r.prerelease, r.deprecated, r.note_id, r.posts_made,
                    r.published_at, r.seen_at,
                    (SELECT MAX(p.deleted_at) FROM posts p
                      WHERE p.package_id = r.package_id AND p.kind = 'release'
                        AND p.version = r.version) AS yanked_at
             FROM releases r WHERE r.package_id = ?
             ORDER BY COALESCE(r.published_at * 1000, r.seen_at) DESC, r.id DESC LIMIT ?",
        )
        .bind(package_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| {
                let state = ReleaseState::parse(&r.get::<String, _>(1));
                RecentRelease {
                    row: ReleaseRow {
                        version: r.get(0),
                        state,
                        prerelease: r.get::<i64, _>(2) != 0,
                        deprecated: r.get(3),
                        note_id: r.get(4),
                        posts_made: r.get(5),
                        published_at: r.get(6),
                    },
                    seen_at: r.get(7),
                    yanked_at: r
                        .get::<Option<i64>, _>(8)
                        .filter(|_| state == ReleaseState::Yanked),
                }
            })
            .collect())
    }

    async fn package_advisories(
        &self,
        package: &Package,
        limit: u32,
    ) -> StoreResult<Vec<PackageAdvisory>> {
        let rows = sqlx::query(
            "SELECT a.advisory_id, a.record, a.modified, a.withdrawn, post.note_id, post.state, a.updated_at
             FROM advisory_packages ap
             JOIN advisories a ON a.advisory_id = ap.advisory_id
             LEFT JOIN advisory_posts post
               ON post.package_id = ? AND post.advisory_id = a.advisory_id
             WHERE ap.ecosystem = ? AND ap.name_key = ?
             ORDER BY a.modified DESC, a.advisory_id LIMIT ?",
        )
        .bind(package.id)
        .bind(package.ecosystem.as_str())
        .bind(&package.name_key)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| PackageAdvisory {
                advisory: StoredAdvisory {
                    advisory_id: r.get(0),
                    record: r.get(1),
                    modified: r.get(2),
                    withdrawn: r.get::<i64, _>(3) != 0,
                },
                note_id: r
                    .get::<Option<String>, _>(4)
                    .filter(|_| r.get::<Option<String>, _>(5).as_deref() == Some("posted")),
                stored_at: r.get(6),
            })
            .collect())
    }
}
