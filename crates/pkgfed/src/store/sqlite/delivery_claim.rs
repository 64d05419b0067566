//! Claiming due deliveries on SQLite: the walk over the due order through the partial
//! indexes, its host-by-host fallback, and the cross-process change watch the idle
//! worker uses (see `claim_due` in `delivery.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::sqlite::SqliteConnection;
use sqlx::{Row, Sqlite, Transaction};

use super::{SqliteStore, backend};
use crate::store::delivery::*;
use crate::store::rows::parse_list;
use crate::store::{StoreError, StoreResult};

/// [`ChangeWatch`] through `PRAGMA data_version` on a connection of its own: the
/// number changes when another connection (this process's pool included) commits.
/// A query that reads no table: microseconds, no lock taken.
pub(super) struct DataVersionWatch {
    conn: SqliteConnection,
    version: i64,
}

impl DataVersionWatch {
    /// Watches through `conn`, from its current version.
    pub(super) async fn new(conn: SqliteConnection) -> StoreResult<Self> {
        let mut watch = Self { conn, version: 0 };
        watch.version = watch.version().await?;
        Ok(watch)
    }

    async fn version(&mut self) -> StoreResult<i64> {
        sqlx::query_scalar("PRAGMA data_version")
            .fetch_one(&mut self.conn)
            .await
            .map_err(backend)
    }
}

#[async_trait]
impl ChangeWatch for DataVersionWatch {
    async fn changed(&mut self) -> StoreResult<bool> {
        let v = self.version().await?;
        let changed = v != self.version;
        self.version = v;
        Ok(changed)
    }
}

/// Rows a claim's walk may pass over (hosts at their limit or with an open circuit)
/// before it gives up and claims host by host instead.
pub(super) fn walk_skip_budget(limit: u32) -> usize {
    4 * limit as usize + 64
}

impl SqliteStore {
    /// In-flight deliveries per host.
    pub(super) async fn in_flight_by_host(
        tx: &mut Transaction<'static, Sqlite>,
    ) -> StoreResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT host, COUNT(*) FROM deliveries WHERE state = 'in_flight' GROUP BY host",
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().collect())
    }

    /// Picks the deliveries to claim by walking the due order (fresh deliveries, then
    /// retries, each by due time and id) through the partial indexes and taking each
    /// row whose host has room (per-host limit, counting rows already in flight; 1
    /// while the circuit is half-open; none while it is open). This is exactly the
    /// first `limit` rows of the union of every host's first `room` due rows, in
    /// time proportional to the rows looked at. `None` when more than
    /// [`walk_skip_budget`] rows had to be passed over (a host with a large backlog
    /// ahead of the others): the caller then claims host by host.
    pub(super) async fn claim_walk(
        tx: &mut Transaction<'static, Sqlite>,
        l: &ClaimLimits,
    ) -> StoreResult<Option<Vec<i64>>> {
        use futures_util::TryStreamExt;

        let limit = l.limit as usize;
        let mut ids = Vec::new();
        if limit == 0 {
            return Ok(Some(ids));
        }
        let mut used = Self::in_flight_by_host(tx).await?;
        let budget = walk_skip_budget(l.limit);
        let mut skipped = 0usize;
        for sql in [
            "SELECT d.id, d.host, h.circuit_open_until FROM deliveries d INDEXED BY deliveries_pending_fresh \
             LEFT JOIN hosts h ON h.host = d.host \
             WHERE d.state = 'pending' AND d.attempts = 0 AND d.next_attempt_at <= ?1 \
             ORDER BY d.next_attempt_at, d.id",
            "SELECT d.id, d.host, h.circuit_open_until FROM deliveries d INDEXED BY deliveries_pending_retry \
             LEFT JOIN hosts h ON h.host = d.host \
             WHERE d.state = 'pending' AND d.attempts > 0 AND d.next_attempt_at <= ?1 \
             ORDER BY d.next_attempt_at, d.id",
        ] {
            let mut rows = sqlx::query_as::<_, (i64, String, Option<i64>)>(sql)
                .bind(l.now_ms)
                .fetch(&mut **tx);
            while let Some((id, host, open_until)) = rows.try_next().await.map_err(backend)? {
                let host_limit = match open_until {
                    Some(t) if t > l.now_ms => 0,
                    Some(_) => 1,
                    None => i64::from(l.per_host),
                };
                let n = used.entry(host).or_insert(0);
                if *n < host_limit {
                    *n += 1;
                    ids.push(id);
                    if ids.len() == limit {
                        return Ok(Some(ids));
                    }
                } else {
                    skipped += 1;
                    if skipped > budget {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(Some(ids))
    }

    /// The same selection as [`Self::claim_walk`], host by host: every host with
    /// pending deliveries (a skip scan of `deliveries_pending_host`), its first
    /// `room` due rows through the same index, then the first `limit` of those in
    /// the due order. Costs O(hosts with pending work), whatever their backlogs.
    pub(super) async fn claim_per_host(
        tx: &mut Transaction<'static, Sqlite>,
        l: &ClaimLimits,
    ) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "WITH RECURSIVE hs(host) AS ( \
               SELECT (SELECT MIN(host) FROM deliveries INDEXED BY deliveries_pending_host WHERE state = 'pending') \
               UNION ALL \
               SELECT (SELECT MIN(host) FROM deliveries INDEXED BY deliveries_pending_host WHERE state = 'pending' AND host > hs.host) \
               FROM hs WHERE hs.host IS NOT NULL \
             ), room AS ( \
               SELECT hs.host AS host, \
                 CASE WHEN h.circuit_open_until IS NOT NULL THEN 1 ELSE ?2 END \
                   - (SELECT COUNT(*) FROM deliveries f WHERE f.state = 'in_flight' AND f.host = hs.host) AS room \
               FROM hs LEFT JOIN hosts h ON h.host = hs.host \
               WHERE hs.host IS NOT NULL \
                 AND (h.circuit_open_until IS NULL OR h.circuit_open_until <= ?1) \
             ), cand AS ( \
               SELECT d.id AS id, d.attempts > 0 AS retry, d.next_attempt_at AS due, r.room AS room, \
                 ROW_NUMBER() OVER (PARTITION BY d.host ORDER BY d.attempts > 0, d.next_attempt_at, d.id) AS rn \
               FROM room r JOIN deliveries d ON d.id IN ( \
                 SELECT x.id FROM deliveries x INDEXED BY deliveries_pending_host \
                 WHERE x.state = 'pending' AND x.host = r.host AND x.next_attempt_at <= ?1 \
                 ORDER BY x.attempts > 0, x.next_attempt_at, x.id LIMIT ?2) \
               WHERE r.room > 0 \
             ) \
             SELECT id FROM cand WHERE rn <= room ORDER BY retry, due, id LIMIT ?3",
        )
        .bind(l.now_ms)
        .bind(i64::from(l.per_host))
        .bind(i64::from(l.limit))
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)
    }
}

/// What a claimed delivery needs of its activity: id, actor, package, kind, JSON.
type ActivityParts = (String, String, Option<i64>, String, Arc<str>);

impl SqliteStore {
    /// `claim_due`: fresh before retries, per-host room, circuit states; one
    /// `UPDATE` claims what the walk (or the host-by-host fallback) picked.
    pub(super) async fn claim(&self, l: ClaimLimits) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.write_tx().await?;
        let ids = match Self::claim_walk(&mut tx, &l).await? {
            Some(ids) => ids,
            None => Self::claim_per_host(&mut tx, &l).await?,
        };
        if ids.is_empty() {
            tx.commit().await.map_err(backend)?;
            return Ok(Vec::new());
        }
        let ids_json = serde_json::to_string(&ids).map_err(StoreError::Json)?;
        let mut rows = sqlx::query(
            "UPDATE deliveries SET state = 'in_flight', lease_until = ?1, updated_at = ?2 \
             WHERE id IN (SELECT value FROM json_each(?3)) \
             RETURNING id, outbound_id, inbox, host, recipients, attempts",
        )
        .bind(l.now_ms + l.lease_ms)
        .bind(l.now_ms)
        .bind(ids_json)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        // In the claim order (fresh first, then by due time and id).
        let rank: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        rows.sort_by_key(|r| rank.get(&r.get::<i64, _>("id")).copied());
        let mut activities: HashMap<i64, ActivityParts> = HashMap::new();
        let mut schemes: HashMap<String, Option<String>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let outbound_id: i64 = row.get("outbound_id");
            if let std::collections::hash_map::Entry::Vacant(slot) = activities.entry(outbound_id) {
                let a = sqlx::query("SELECT activity_id, actor_id, package_id, kind, activity FROM outbound_activities WHERE id = ?")
                    .bind(outbound_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                slot.insert((
                    a.get("activity_id"),
                    a.get("actor_id"),
                    a.get("package_id"),
                    a.get("kind"),
                    Arc::from(a.get::<String, _>("activity")),
                ));
            }
            let host: String = row.get("host");
            if !schemes.contains_key(&host) {
                let s: Option<Option<String>> =
                    sqlx::query_scalar("SELECT signature_scheme FROM hosts WHERE host = ?")
                        .bind(&host)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?;
                schemes.insert(host.clone(), s.flatten());
            }
            let (activity_id, actor_id, package_id, kind, activity) =
                activities[&outbound_id].clone();
            out.push(ClaimedDelivery {
                id: row.get("id"),
                outbound_id,
                activity_id,
                actor_id,
                package_id,
                kind,
                activity,
                inbox: row.get("inbox"),
                scheme: schemes[&host].clone(),
                host,
                recipients: parse_list(&row.get::<String, _>("recipients")),
                attempts: row.get::<i64, _>("attempts") as u32,
            });
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}
