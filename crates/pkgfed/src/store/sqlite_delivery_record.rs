//! Recording a delivery attempt on SQLite: the delivery row, a report for a final
//! outcome, the host's health and the activity's status, in one transaction.

use sqlx::{Row, Sqlite, Transaction};

use super::StoreResult;
use super::delivery::*;
use super::sqlite::{SqliteStore, backend};
use super::sqlite_delivery::json_list;

pub(super) struct ReportRow<'a> {
    pub(super) activity_id: &'a str,
    pub(super) actor_id: &'a str,
    pub(super) kind: &'a str,
    pub(super) recipients: &'a str,
    pub(super) inbox: &'a str,
    pub(super) host: &'a str,
    pub(super) result: ReportResult,
    pub(super) status: Option<u16>,
    pub(super) reason: &'a str,
    pub(super) action: Option<SuggestedAction>,
    pub(super) attempts: u32,
}

pub(super) async fn insert_report(
    tx: &mut Transaction<'static, Sqlite>,
    r: ReportRow<'_>,
    now_ms: i64,
) -> StoreResult<String> {
    let report_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO delivery_reports (report_id, activity_id, actor_id, activity_type, recipients, inbox_url, host, result, \
         status_code, reason, suggested_action, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&report_id)
    .bind(r.activity_id)
    .bind(r.actor_id)
    .bind(r.kind)
    .bind(r.recipients)
    .bind(r.inbox)
    .bind(r.host)
    .bind(r.result.as_str())
    .bind(r.status.map(i64::from))
    .bind(r.reason)
    .bind(r.action.map(SuggestedAction::as_str))
    .bind(i64::from(r.attempts))
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(report_id)
}

/// Recomputes an activity's status from its deliveries; returns it when it changed.
async fn refresh_status(
    tx: &mut Transaction<'static, Sqlite>,
    outbound_id: i64,
    now_ms: i64,
) -> StoreResult<Option<ActivityStatus>> {
    // EXISTS, not COUNT: this runs after every attempt, inside the write lock, and
    // counting an activity's deliveries scans all of them (a fan-out to thousands
    // of inboxes made it quadratic). The counts are only needed for the detail of
    // a failed activity.
    let row = sqlx::query(
        "SELECT a.status AS status, \
           EXISTS (SELECT 1 FROM deliveries WHERE outbound_id = a.id AND state IN ('pending', 'in_flight')) AS open, \
           EXISTS (SELECT 1 FROM deliveries WHERE outbound_id = a.id AND state = 'failed') AS failed \
         FROM outbound_activities a WHERE a.id = ?",
    )
    .bind(outbound_id)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)?;
    let old = ActivityStatus::parse(row.get::<String, _>("status").as_str());
    let (open, failed): (bool, bool) = (row.get("open"), row.get("failed"));
    let new = if failed {
        ActivityStatus::Failed
    } else if open {
        ActivityStatus::Pending
    } else {
        ActivityStatus::Completed
    };
    if new == old && new != ActivityStatus::Failed {
        return Ok(None);
    }
    let detail: Option<String> = if new == ActivityStatus::Failed {
        let (failed, total): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE state = 'failed'), COUNT(*) FROM deliveries WHERE outbound_id = ?",
        )
        .bind(outbound_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
        let first: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT inbox, last_error FROM deliveries WHERE outbound_id = ? AND state = 'failed' ORDER BY updated_at LIMIT 1",
        )
        .bind(outbound_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        first.map(|(inbox, err)| {
            format!(
                "{failed} of {total} deliveries failed permanently; first: {inbox}: {}",
                err.unwrap_or_default()
            )
        })
    } else {
        None
    };
    sqlx::query(
        "UPDATE outbound_activities SET status = ?, status_detail = ?, updated_at = ? WHERE id = ?",
    )
    .bind(new.as_str())
    .bind(&detail)
    .bind(now_ms)
    .bind(outbound_id)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok((new != old).then_some(new))
}

impl SqliteStore {
    pub(super) async fn record_attempt_impl(
        &self,
        d: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        effect: HostEffect,
        scheme: Option<&str>,
        policy: &HostPolicy,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        let mut tx = self.write_tx().await?;
        let attempts = d.attempts + 1;
        let recipients = json_list(&d.recipients)?;
        let report = |result, status, reason, action| ReportRow {
            activity_id: &d.activity_id,
            actor_id: &d.actor_id,
            kind: &d.kind,
            recipients: &recipients,
            inbox: &d.inbox,
            host: &d.host,
            result,
            status,
            reason,
            action,
            attempts,
        };
        let (state, next_at, status, error, report_row) = match outcome {
            AttemptOutcome::Succeeded { status } => (
                "succeeded",
                now_ms,
                Some(*status),
                None,
                Some(report(
                    ReportResult::Success,
                    Some(*status),
                    "delivered",
                    None,
                )),
            ),
            AttemptOutcome::Retry {
                at_ms,
                status,
                error,
            } => ("pending", *at_ms, *status, Some(error.as_str()), None),
            AttemptOutcome::Failed {
                result,
                status,
                reason,
                action,
            } => (
                "failed",
                now_ms,
                *status,
                Some(reason.as_str()),
                Some(report(*result, *status, reason, *action)),
            ),
        };
        sqlx::query(
            "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, \
             lease_until = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(state)
        .bind(i64::from(attempts))
        .bind(next_at)
        .bind(status.map(i64::from))
        .bind(error)
        .bind(now_ms)
        .bind(d.id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let report_id = match report_row {
            Some(r) => Some(insert_report(&mut tx, r, now_ms).await?),
            None => None,
        };

        let mut recorded = Recorded {
            report_id,
            status_changed: None,
            circuit_opened: false,
            became_unavailable: false,
        };
        let delivered = matches!(outcome, AttemptOutcome::Succeeded { .. });
        match effect {
            HostEffect::Alive => {
                sqlx::query(
                    "INSERT INTO hosts (host, consecutive_failures, last_success_at, signature_scheme) VALUES (?1, 0, ?2, ?3) \
                     ON CONFLICT (host) DO UPDATE SET consecutive_failures = 0, failing_since = NULL, circuit_open_until = NULL, \
                     unavailable = CASE WHEN ?4 THEN 0 ELSE unavailable END, \
                     last_success_at = CASE WHEN ?4 THEN ?2 ELSE last_success_at END, \
                     signature_scheme = COALESCE(?3, signature_scheme)",
                )
                .bind(&d.host)
                .bind(delivered.then_some(now_ms))
                .bind(scheme)
                .bind(delivered)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            HostEffect::Failing => {
                let prev: Option<(i64, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT consecutive_failures, failing_since, unavailable FROM hosts WHERE host = ?",
                )
                .bind(&d.host)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                let (failures, since, was_unavailable) = prev.unwrap_or((0, None, 0));
                let failures = failures + 1;
                let since = since.unwrap_or(now_ms);
                let open_until = (failures >= i64::from(policy.failure_threshold)).then(|| {
                    let doublings = (failures - i64::from(policy.failure_threshold)).min(20) as u32;
                    now_ms
                        + policy
                            .base_cooldown_ms
                            .saturating_mul(1 << doublings)
                            .min(policy.max_cooldown_ms)
                });
                let unavailable =
                    was_unavailable == 1 || now_ms - since >= policy.unavailable_after_ms;
                recorded.circuit_opened = open_until.is_some();
                recorded.became_unavailable = unavailable && was_unavailable == 0;
                sqlx::query(
                    "INSERT INTO hosts (host, consecutive_failures, failing_since, circuit_open_until, unavailable) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (host) DO UPDATE SET consecutive_failures = ?2, \
                     failing_since = ?3, circuit_open_until = ?4, unavailable = ?5",
                )
                .bind(&d.host)
                .bind(failures)
                .bind(since)
                .bind(open_until)
                .bind(unavailable)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
            HostEffect::Neutral => {}
        }
        recorded.status_changed = refresh_status(&mut tx, d.outbound_id, now_ms).await?;
        tx.commit().await.map_err(backend)?;
        Ok(recorded)
    }
}
