//! Recording delivery attempts on SQLite: the delivery rows, a report per final
//! outcome, the hosts' health and the activities' status — for a whole batch of
//! attempts in one transaction, with a fixed number of statements per batch.
//!
//! Each statement is a round trip to the connection's thread, and each commit a
//! WAL write under the database's single write lock: one transaction per attempt
//! (six or seven statements) made the bookkeeping of a large fan-out cost more than
//! its signatures. A batch passes its rows as one JSON array per statement
//! (`json_each`), so the SQL text stays fixed whatever the batch size.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::{Row, Sqlite, Transaction};

use super::{SqliteStore, backend};
use crate::store::delivery::*;
use crate::store::host_health::HostRow;
use crate::store::rows::json_list;
use crate::store::{StoreError, StoreResult};

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

/// Recomputes an activity's status from its deliveries; returns it when it changed
/// (None too when the activity is gone: deleted with its package mid-delivery).
async fn refresh_status(
    tx: &mut Transaction<'static, Sqlite>,
    outbound_id: i64,
    now_ms: i64,
) -> StoreResult<Option<ActivityStatus>> {
    // EXISTS, not COUNT: this runs after every batch of attempts, inside the write
    // lock, and counting an activity's deliveries scans all of them (a fan-out to
    // thousands of inboxes made it quadratic). The counts are only needed for the
    // detail of a failed activity.
    let Some(row) = sqlx::query(
        "SELECT a.status AS status, \
           EXISTS (SELECT 1 FROM deliveries WHERE outbound_id = a.id AND state IN ('pending', 'in_flight')) AS open, \
           EXISTS (SELECT 1 FROM deliveries WHERE outbound_id = a.id AND state = 'failed') AS failed \
         FROM outbound_activities a WHERE a.id = ?",
    )
    .bind(outbound_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?
    else {
        return Ok(None);
    };
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

fn json_text(v: &Value) -> StoreResult<String> {
    serde_json::to_string(v).map_err(StoreError::Json)
}

impl SqliteStore {
    pub(super) async fn record_attempts_impl(
        &self,
        batch: &[AttemptRecord<'_>],
        policy: &HostPolicy,
    ) -> StoreResult<Vec<Recorded>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // Everything that does not need the database first, outside the write lock.
        let mut recorded = Vec::with_capacity(batch.len());
        // Delivery updates, split where a delivery repeats (it cannot while its claim
        // holds, but an expired lease can let a second attempt run) so the later
        // outcome wins, as it would one attempt at a time.
        let mut updates: Vec<Vec<Value>> = vec![Vec::new()];
        let mut in_chunk = std::collections::HashSet::new();
        let mut reports: Vec<Value> = Vec::new();
        for a in batch {
            let d = a.delivery;
            let now_ms = a.now_ms;
            // A skipped delivery (its domain is refused by the domain policy) was
            // not attempted.
            let skipped = matches!(
                a.outcome,
                AttemptOutcome::Failed {
                    result: ReportResult::Skipped,
                    ..
                }
            );
            let attempts = if skipped { d.attempts } else { d.attempts + 1 };
            let (state, next_at, status, error, report) = match a.outcome {
                AttemptOutcome::Succeeded { status } => (
                    "succeeded",
                    now_ms,
                    Some(*status),
                    None,
                    Some((ReportResult::Success, Some(*status), "delivered", None)),
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
                    if skipped { "skipped" } else { "failed" },
                    now_ms,
                    *status,
                    Some(reason.as_str()),
                    Some((*result, *status, reason.as_str(), *action)),
                ),
            };
            if !in_chunk.insert(d.id) {
                updates.push(Vec::new());
                in_chunk.clear();
                in_chunk.insert(d.id);
            }
            if let Some(chunk) = updates.last_mut() {
                chunk.push(json!([
                    d.id, state, attempts, next_at, status, error, now_ms
                ]));
            }
            let report_id = match report {
                Some((result, status, reason, action)) => {
                    let report_id = uuid::Uuid::now_v7().to_string();
                    reports.push(json!([
                        report_id,
                        d.activity_id,
                        d.actor_id,
                        d.kind,
                        json_list(&d.recipients)?,
                        d.inbox,
                        d.host,
                        result.as_str(),
                        status,
                        reason,
                        action.map(SuggestedAction::as_str),
                        attempts,
                        now_ms,
                    ]));
                    Some(report_id)
                }
                None => None,
            };
            recorded.push(Recorded {
                report_id,
                status_changed: None,
                circuit_opened: false,
                became_unavailable: false,
            });
        }
        let mut hosts: Vec<&str> = batch
            .iter()
            .filter(|a| a.effect != HostEffect::Neutral)
            .map(|a| a.delivery.host.as_str())
            .collect();
        hosts.sort_unstable();
        hosts.dedup();

        let mut tx = self.write_tx().await?;
        for chunk in &updates {
            sqlx::query(
                "UPDATE deliveries SET state = j.state, attempts = j.attempts, next_attempt_at = j.next_at, \
                 last_status = j.status, last_error = j.error, lease_until = NULL, updated_at = j.now \
                 FROM (SELECT value ->> 0 AS id, value ->> 1 AS state, value ->> 2 AS attempts, \
                   value ->> 3 AS next_at, value ->> 4 AS status, value ->> 5 AS error, value ->> 6 AS now \
                   FROM json_each(?)) AS j \
                 WHERE deliveries.id = j.id",
            )
            .bind(json_text(&Value::Array(chunk.clone()))?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        if !reports.is_empty() {
            sqlx::query(
                "INSERT INTO delivery_reports (report_id, activity_id, actor_id, activity_type, recipients, inbox_url, \
                 host, result, status_code, reason, suggested_action, attempts, created_at) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
                   value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12 \
                 FROM json_each(?) ORDER BY key",
            )
            .bind(json_text(&Value::Array(reports))?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }

        if !hosts.is_empty() {
            let rows = sqlx::query(
                "SELECT host, consecutive_failures, failing_since, circuit_open_until, unavailable, last_success_at, \
                 signature_scheme FROM hosts WHERE host IN (SELECT value FROM json_each(?))",
            )
            .bind(json_text(&json!(hosts))?)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
            let mut state: HashMap<&str, HostRow> =
                hosts.iter().map(|h| (*h, HostRow::default())).collect();
            for row in rows {
                let host: String = row.get("host");
                if let Some(h) = state.get_mut(host.as_str()) {
                    *h = HostRow {
                        consecutive_failures: row.get("consecutive_failures"),
                        failing_since: row.get("failing_since"),
                        circuit_open_until: row.get("circuit_open_until"),
                        unavailable: row.get::<i64, _>("unavailable") != 0,
                        last_success_at: row.get("last_success_at"),
                        signature_scheme: row.get("signature_scheme"),
                    };
                }
            }
            for (a, r) in batch.iter().zip(recorded.iter_mut()) {
                if let Some(h) = state.get_mut(a.delivery.host.as_str()) {
                    let delivered = matches!(a.outcome, AttemptOutcome::Succeeded { .. });
                    (r.circuit_opened, r.became_unavailable) =
                        h.apply(a.effect, delivered, a.scheme, policy, a.now_ms);
                }
            }
            let rows: Vec<Value> = hosts
                .iter()
                .map(|host| {
                    let h = &state[host];
                    json!([
                        host,
                        h.consecutive_failures,
                        h.failing_since,
                        h.circuit_open_until,
                        i64::from(h.unavailable),
                        h.last_success_at,
                        h.signature_scheme,
                    ])
                })
                .collect();
            sqlx::query(
                "INSERT INTO hosts (host, consecutive_failures, failing_since, circuit_open_until, unavailable, \
                 last_success_at, signature_scheme) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 \
                 FROM json_each(?) WHERE true \
                 ON CONFLICT (host) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, \
                 failing_since = excluded.failing_since, circuit_open_until = excluded.circuit_open_until, \
                 unavailable = excluded.unavailable, last_success_at = excluded.last_success_at, \
                 signature_scheme = excluded.signature_scheme",
            )
            .bind(json_text(&Value::Array(rows))?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }

        // Each activity's status once, reported on its last attempt in the batch.
        let mut last_of: Vec<(i64, usize)> = Vec::new();
        for (i, a) in batch.iter().enumerate() {
            match last_of
                .iter_mut()
                .find(|(id, _)| *id == a.delivery.outbound_id)
            {
                Some(slot) => slot.1 = i,
                None => last_of.push((a.delivery.outbound_id, i)),
            }
        }
        for (outbound_id, i) in last_of {
            recorded[i].status_changed =
                refresh_status(&mut tx, outbound_id, batch[i].now_ms).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(recorded)
    }

    pub(super) async fn record_attempt_impl(
        &self,
        d: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        effect: HostEffect,
        scheme: Option<&str>,
        policy: &HostPolicy,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        let one = AttemptRecord {
            delivery: d,
            outcome,
            effect,
            scheme,
            now_ms,
        };
        let mut recorded = self.record_attempts_impl(&[one], policy).await?;
        recorded
            .pop()
            .ok_or_else(|| StoreError::Inconsistent("nothing recorded".into()))
    }
}
