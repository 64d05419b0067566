//! [`DeliveryStore`] on SQLite: the trait's entry points. The outbox transaction is
//! in `delivery_enqueue.rs`, claiming's walks in `delivery_claim.rs`, recording
//! attempts in `delivery_record.rs`, operator queries in `delivery_admin.rs`.

use async_trait::async_trait;
use sqlx::ConnectOptions;

use super::delivery_claim::DataVersionWatch;
use super::{SqliteStore, backend};
use crate::store::delivery::*;
use crate::store::{OutboxItem, StoreResult};

#[async_trait]
impl DeliveryStore for SqliteStore {
    async fn enqueue(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued> {
        let mut tx = self.write_tx().await?;
        let done = Self::enqueue_in(&mut tx, outbound, audience, now_ms, false).await?;
        tx.commit().await.map_err(backend)?;
        Ok(done)
    }

    async fn publish(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued> {
        let mut tx = self.write_tx().await?;
        let done = Self::enqueue_in(&mut tx, outbound, audience, now_ms, true).await?;
        tx.commit().await.map_err(backend)?;
        Ok(done)
    }

    async fn claim_due(&self, l: ClaimLimits) -> StoreResult<Vec<ClaimedDelivery>> {
        self.claim(l).await
    }

    async fn release_expired_claims(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'pending', lease_until = NULL WHERE state = 'in_flight' AND lease_until < ?",
        )
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn record_attempt(
        &self,
        d: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        effect: HostEffect,
        scheme: Option<&str>,
        policy: &HostPolicy,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        self.record_attempt_impl(d, outcome, effect, scheme, policy, now_ms)
            .await
    }

    async fn record_attempts(
        &self,
        batch: &[AttemptRecord<'_>],
        policy: &HostPolicy,
    ) -> StoreResult<Vec<Recorded>> {
        self.record_attempts_impl(batch, policy).await
    }

    async fn change_watch(&self) -> StoreResult<Option<Box<dyn ChangeWatch>>> {
        let conn = self
            .pool
            .connect_options()
            .connect()
            .await
            .map_err(backend)?;
        Ok(Some(Box::new(DataVersionWatch::new(conn).await?)))
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "SELECT MIN(MAX(d.next_attempt_at, COALESCE(h.circuit_open_until, 0))) FROM deliveries d \
             LEFT JOIN hosts h ON h.host = d.host WHERE d.state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }

    async fn remove_followers_at_inbox(
        &self,
        inbox: &str,
        report_id: &str,
    ) -> StoreResult<Vec<(i64, String)>> {
        let mut tx = self.write_tx().await?;
        let removed: Vec<(i64, String)> = sqlx::query_as(
            "DELETE FROM followers WHERE inbox = ?1 OR shared_inbox = ?1 RETURNING package_id, actor_id",
        )
        .bind(inbox)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE delivery_reports SET action_taken = 1 WHERE report_id = ?")
            .bind(report_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }

    async fn count_reports(
        &self,
        scope: ReportScope<'_>,
        status_code: u16,
        since_ms: i64,
    ) -> StoreResult<u64> {
        let (sql, key) = match scope {
            ReportScope::Host(host) => (
                "SELECT COUNT(*) FROM delivery_reports WHERE host = ? AND status_code = ? AND created_at >= ?",
                host,
            ),
            ReportScope::Actor(actor) => (
                "SELECT COUNT(*) FROM delivery_reports WHERE actor_id = ? AND status_code = ? AND created_at >= ?",
                actor,
            ),
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(key)
            .bind(i64::from(status_code))
            .bind(since_ms)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(n as u64)
    }

    async fn flag_domain(&self, domain: &str, reason: &str, now_ms: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO flagged_domains (domain, reason, flagged_at) VALUES (?, ?, ?) ON CONFLICT (domain) DO NOTHING",
        )
        .bind(domain)
        .bind(reason)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn flagged_domains(&self) -> StoreResult<Vec<FlaggedDomain>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT domain, reason, flagged_at FROM flagged_domains ORDER BY flagged_at, domain",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(domain, reason, flagged_at)| FlaggedDomain {
                domain,
                reason,
                flagged_at,
            })
            .collect())
    }

    async fn clear_flagged_domain(&self, domain: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM flagged_domains WHERE domain = ?")
            .bind(domain)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn host_seen(&self, host: &str, _now_ms: i64) -> StoreResult<()> {
        // Called for every verified inbound activity, and almost every host is
        // healthy: look first, so a healthy host costs a read and no write (an UPDATE
        // takes SQLite's write lock even when it matches no row, and writers on
        // different connections wait for each other by sleeping).
        let unhealthy: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM hosts \
             WHERE host = ? AND (unavailable = 1 OR circuit_open_until IS NOT NULL OR failing_since IS NOT NULL)",
        )
        .bind(host)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        if unhealthy.is_none() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE hosts SET unavailable = 0, consecutive_failures = 0, failing_since = NULL, circuit_open_until = NULL \
             WHERE host = ? AND (unavailable = 1 OR circuit_open_until IS NOT NULL OR failing_since IS NOT NULL)",
        )
        .bind(host)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn hosts(&self, now_ms: i64) -> StoreResult<Vec<HostState>> {
        self.hosts_view(now_ms).await
    }

    async fn activity_status(&self, activity_id: &str) -> StoreResult<Option<ActivityStatusView>> {
        self.activity_status_view(activity_id).await
    }

    async fn failures(
        &self,
        actor_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryReport>> {
        self.failure_reports(actor_id, limit).await
    }

    async fn reports_for(&self, activity_id: &str) -> StoreResult<Vec<DeliveryReport>> {
        self.activity_reports(activity_id).await
    }

    async fn dead_followers(&self, package_id: Option<i64>) -> StoreResult<Vec<DeadFollower>> {
        self.dead_followers_view(package_id).await
    }

    async fn remove_follows(&self, follows: &[(i64, String)]) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let mut n = 0;
        for (package_id, actor_id) in follows {
            n += sqlx::query("DELETE FROM followers WHERE package_id = ? AND actor_id = ?")
                .bind(package_id)
                .bind(actor_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
        }
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn prune_reports(&self, before_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM delivery_reports WHERE created_at < ?")
            .bind(before_ms)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn recent_outbox(&self, package_id: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let mut items: Vec<OutboxItem> = sqlx::query_as::<_, (i64, String, String, i64)>(
            "SELECT id, activity_id, activity, published FROM outbox WHERE package_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(package_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(id, activity_id, activity, published)| OutboxItem { id, activity_id, activity, published })
        .collect();
        items.reverse();
        Ok(items)
    }
}
