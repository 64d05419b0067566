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
        // One row holding the list as JSON: sqlx hands each result row from SQLite's
        // thread to the runtime separately, and a page lists up to 50 (this halves the
        // page's cost; see docs/benchmarks.md).
        let list: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(version, state, prerelease, deprecated, note_id,
                                                posts_made, published_at, seen_at, yanked_at)
                                     ORDER BY rank DESC, id DESC)
             FROM (SELECT r.id, r.version, r.state, r.prerelease, r.deprecated, r.note_id,
                          r.posts_made, r.published_at, r.seen_at,
                          COALESCE(r.published_at * 1000, r.seen_at) AS rank,
                          (SELECT MAX(p.deleted_at) FROM posts p
                            WHERE p.package_id = r.package_id AND p.kind = 'release'
                              AND p.version = r.version) AS yanked_at
                   FROM releases r WHERE r.package_id = ?
                   ORDER BY rank DESC, r.id DESC LIMIT ?)",
        )
        .bind(package_id)
        .bind(i64::from(limit))
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        type Listed = (
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
            i64,
            Option<i64>,
        );
        let rows: Vec<Listed> = serde_json::from_str(list.as_deref().unwrap_or("[]"))?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    version,
                    state,
                    prerelease,
                    deprecated,
                    note_id,
                    posts_made,
                    published_at,
                    seen_at,
                    yanked_at,
                )| {
                    let state = ReleaseState::parse(&state);
                    RecentRelease {
                        row: ReleaseRow {
                            version,
                            state,
                            prerelease: prerelease != 0,
                            deprecated,
                            note_id,
                            posts_made,
                            published_at,
                        },
                        seen_at,
                        yanked_at: yanked_at.filter(|_| state == ReleaseState::Yanked),
                    }
                },
            )
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
