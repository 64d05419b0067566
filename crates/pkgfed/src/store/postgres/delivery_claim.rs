//! Claiming due deliveries on PostgreSQL, and the change watch the idle worker uses
//! (see `claim_due` in `delivery.rs`).
//!
//! Several worker processes may claim at once. Each claim locks the rows it picks
//! (`FOR UPDATE SKIP LOCKED`: rows another transaction holds are passed over, not
//! waited for) and flips them to `in_flight` only while still `pending`, so no
//! delivery is handed out twice. Claims also take one advisory lock for their short
//! transaction: the per-host limit counts the rows already in flight, and two claims
//! counting at the same instant would each fill a host's room.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::PgConnection;
use sqlx::{Postgres, Row, Transaction};

use super::{PgStore, backend};
use crate::store::StoreResult;
use crate::store::delivery::*;
use crate::store::rows::parse_list;

/// Key of the advisory lock claims hold for their transaction.
const CLAIM_LOCK: i64 = 0x706b_6766_6564_0002;

/// [`ChangeWatch`] through the cluster's transaction counter on a connection of its
/// own: `pg_snapshot_xmax` moves when any write transaction finishes (this process's
/// included, as SQLite's `data_version` does). No table read, no lock.
pub(super) struct SnapshotWatch {
    conn: PgConnection,
    xmax: i64,
}

impl SnapshotWatch {
    /// Watches through `conn`, from the current counter.
    pub(super) async fn new(conn: PgConnection) -> StoreResult<Self> {
        let mut watch = Self { conn, xmax: 0 };
        watch.xmax = watch.xmax().await?;
        Ok(watch)
    }

    async fn xmax(&mut self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            .fetch_one(&mut self.conn)
            .await
            .map_err(backend)
    }
}

#[async_trait]
impl ChangeWatch for SnapshotWatch {
    async fn changed(&mut self) -> StoreResult<bool> {
        let v = self.xmax().await?;
        let changed = v != self.xmax;
        self.xmax = v;
        Ok(changed)
    }
}

/// Rows a claim's walk may pass over (hosts at their limit or with an open circuit)
/// before it gives up and claims host by host instead (as on SQLite).
fn walk_skip_budget(limit: u32) -> usize {
    4 * limit as usize + 64
}

impl PgStore {
    /// Picks the deliveries to claim by walking the due order (fresh deliveries, then
    /// retries, each by due time and id) and taking each row whose host has room
    /// (per-host limit counting rows in flight; 1 while the circuit is half-open;
    /// none while it is open). The rows read are locked; `None` when more than
    /// [`walk_skip_budget`] rows had to be passed over: the caller then claims host
    /// by host.
    async fn claim_walk(
        tx: &mut Transaction<'static, Postgres>,
        l: &ClaimLimits,
    ) -> StoreResult<Option<Vec<i64>>> {
        let limit = l.limit as usize;
        let mut ids = Vec::new();
        if limit == 0 {
            return Ok(Some(ids));
        }
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT host, COUNT(*) FROM deliveries WHERE state = 'in_flight' GROUP BY host",
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
        let mut used: HashMap<String, i64> = rows.into_iter().collect();
        let budget = walk_skip_budget(l.limit);
        let mut skipped = 0usize;
        for sql in [
            "SELECT d.id, d.host, h.circuit_open_until FROM deliveries d LEFT JOIN hosts h ON h.host = d.host \
             WHERE d.state = 'pending' AND d.attempts = 0 AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
            "SELECT d.id, d.host, h.circuit_open_until FROM deliveries d LEFT JOIN hosts h ON h.host = d.host \
             WHERE d.state = 'pending' AND d.attempts > 0 AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED",
        ] {
            // Enough rows to either fill the claim or exceed the skip budget.
            let want = (limit - ids.len()) + (budget - skipped) + 1;
            let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(sql)
                .bind(l.now_ms)
                .bind(want as i64)
                .fetch_all(&mut **tx)
                .await
                .map_err(backend)?;
            for (id, host, open_until) in rows {
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
    /// `room` due rows, then the first `limit` of those in the due order.
    async fn claim_per_host(
        tx: &mut Transaction<'static, Postgres>,
        l: &ClaimLimits,
    ) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "WITH RECURSIVE hs(host) AS ( \
               SELECT (SELECT MIN(host) FROM deliveries WHERE state = 'pending') \
               UNION ALL \
               SELECT (SELECT MIN(host) FROM deliveries WHERE state = 'pending' AND host > hs.host) \
               FROM hs WHERE hs.host IS NOT NULL \
             ), room AS ( \
               SELECT hs.host AS host, \
                 CASE WHEN h.circuit_open_until IS NOT NULL THEN 1 ELSE $2 END \
                   - (SELECT COUNT(*) FROM deliveries f WHERE f.state = 'in_flight' AND f.host = hs.host) AS room \
               FROM hs LEFT JOIN hosts h ON h.host = hs.host \
               WHERE hs.host IS NOT NULL \
                 AND (h.circuit_open_until IS NULL OR h.circuit_open_until <= $1) \
             ), cand AS ( \
               SELECT x.id AS id, x.retry AS retry, x.next_attempt_at AS due, x.rn AS rn, r.room AS room \
               FROM room r CROSS JOIN LATERAL ( \
                 SELECT d.id, d.attempts > 0 AS retry, d.next_attempt_at, \
                   ROW_NUMBER() OVER (ORDER BY d.attempts > 0, d.next_attempt_at, d.id) AS rn \
                 FROM deliveries d \
                 WHERE d.state = 'pending' AND d.host = r.host AND d.next_attempt_at <= $1 \
                 ORDER BY d.attempts > 0, d.next_attempt_at, d.id LIMIT $2) x \
               WHERE r.room > 0 \
             ) \
             SELECT id FROM cand WHERE rn <= room ORDER BY retry, due, id LIMIT $3",
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

impl PgStore {
    /// `claim_due`: fresh before retries, per-host room, circuit states; one
    /// `UPDATE` claims what the walk (or the host-by-host fallback) picked.
    pub(super) async fn claim(&self, l: ClaimLimits) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CLAIM_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let ids = match Self::claim_walk(&mut tx, &l).await? {
            Some(ids) => ids,
            None => Self::claim_per_host(&mut tx, &l).await?,
        };
        if ids.is_empty() {
            tx.commit().await.map_err(backend)?;
            return Ok(Vec::new());
        }
        // `state = 'pending'` again: a row the fallback picked may have been claimed
        // or finished since; then it is not claimed here.
        let mut rows = sqlx::query(
            "UPDATE deliveries SET state = 'in_flight', lease_until = $1, updated_at = $2 \
             WHERE id = ANY($3) AND state = 'pending' \
             RETURNING id, outbound_id, inbox, host, recipients, attempts",
        )
        .bind(l.now_ms + l.lease_ms)
        .bind(l.now_ms)
        .bind(&ids)
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
                let a = sqlx::query("SELECT activity_id, actor_id, package_id, kind, activity FROM outbound_activities WHERE id = $1")
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
                    sqlx::query_scalar("SELECT signature_scheme FROM hosts WHERE host = $1")
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
