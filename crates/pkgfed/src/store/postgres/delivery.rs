//! [`DeliveryStore`] on PostgreSQL: the trait's entry points. The outbox transaction
//! is in `delivery_enqueue.rs`, claiming in `delivery_claim.rs`, recording attempts
//! in `delivery_record.rs`, operator queries in `delivery_admin.rs`.

use async_trait::async_trait;

use super::delivery_claim::SnapshotWatch;
use super::{PgStore, backend};
use crate::store::delivery::*;
use crate::store::{OutboxItem, StoreResult};

#[async_trait]
impl DeliveryStore for PgStore {
    async fn enqueue(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued> {
        self.enqueue_tx(outbound, audience, now_ms, false).await
    }

    async fn publish(
        &self,
        outbound: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
    ) -> StoreResult<Enqueued> {
        self.enqueue_tx(outbound, audience, now_ms, true).await
    }

    async fn claim_due(&self, l: ClaimLimits) -> StoreResult<Vec<ClaimedDelivery>> {
        self.claim(l).await
    }

    async fn release_expired_claims(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'pending', lease_until = NULL WHERE state = 'in_flight' AND lease_until < $1",
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
        let conn = self.pool.acquire().await.map_err(backend)?.detach();
        Ok(Some(Box::new(SnapshotWatch::new(conn).await?)))
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "SELECT MIN(GREATEST(d.next_attempt_at, COALESCE(h.circuit_open_until, 0))) FROM deliveries d \
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let removed: Vec<(i64, String)> = sqlx::query_as(
            "DELETE FROM followers WHERE inbox = $1 OR shared_inbox = $1 RETURNING package_id, actor_id",
        )
        .bind(inbox)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE delivery_reports SET action_taken = true WHERE report_id = $1")
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
                "SELECT COUNT(*) FROM delivery_reports WHERE host = $1 AND status_code = $2 AND created_at >= $3",
                host,
            ),
            ReportScope::Actor(actor) => (
                "SELECT COUNT(*) FROM delivery_reports WHERE actor_id = $1 AND status_code = $2 AND created_at >= $3",
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
            "INSERT INTO flagged_domains (domain, reason, flagged_at) VALUES ($1, $2, $3) ON CONFLICT (domain) DO NOTHING",
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
        let done = sqlx::query("DELETE FROM flagged_domains WHERE domain = $1")
            .bind(domain)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    async fn host_seen(&self, host: &str, _now_ms: i64) -> StoreResult<()> {
        // An UPDATE matching no row takes no lock and writes nothing: a healthy host
        // (almost every one) costs one indexed lookup.
        sqlx::query(
            "UPDATE hosts SET unavailable = false, consecutive_failures = 0, failing_since = NULL, circuit_open_until = NULL \
             WHERE host = $1 AND (unavailable OR circuit_open_until IS NOT NULL OR failing_since IS NOT NULL)",
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
        let (packages, actors): (Vec<i64>, Vec<String>) = follows.iter().cloned().unzip();
        let done = sqlx::query(
            "DELETE FROM followers f USING UNNEST($1::bigint[], $2::text[]) AS t(package_id, actor_id) \
             WHERE f.package_id = t.package_id AND f.actor_id = t.actor_id",
        )
        .bind(&packages)
        .bind(&actors)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn prune_reports(&self, before_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM delivery_reports WHERE created_at < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn recent_outbox(&self, package_id: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        let mut items: Vec<OutboxItem> = sqlx::query_as::<_, (i64, String, String, i64)>(
            "SELECT id, activity_id, activity, published FROM outbox WHERE package_id = $1 ORDER BY id DESC LIMIT $2",
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
