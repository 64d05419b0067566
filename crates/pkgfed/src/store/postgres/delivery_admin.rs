//! Operator queries over delivery state on PostgreSQL (the admin API reads these).

use std::collections::HashSet;

use sqlx::Row;

use super::{PgStore, backend};
use crate::store::StoreResult;
use crate::store::delivery::*;
use crate::store::rows::{self, parse_list};

/// Columns of `delivery_reports` read by [`rows::delivery_report`].
macro_rules! select_reports {
    ($rest:literal) => {
        concat!(
            "SELECT report_id, activity_id, actor_id, activity_type, recipients, inbox_url, result, status_code, reason, \
             suggested_action, action_taken, attempts, created_at FROM delivery_reports ",
            $rest
        )
    };
}

impl PgStore {
    pub(super) async fn hosts_view(&self, now_ms: i64) -> StoreResult<Vec<HostState>> {
        let rows = sqlx::query(
            "SELECT h.host, h.consecutive_failures, h.failing_since, h.circuit_open_until, h.unavailable, h.last_success_at, \
             h.signature_scheme, (SELECT COUNT(*) FROM deliveries d WHERE d.host = h.host AND d.state = 'pending') AS pending \
             FROM hosts h ORDER BY h.host",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .iter()
            .map(|r| {
                let open_until: Option<i64> = r.get("circuit_open_until");
                HostState {
                    host: r.get("host"),
                    circuit: match open_until {
                        None => "closed",
                        Some(t) if t > now_ms => "open",
                        Some(_) => "half_open",
                    }
                    .to_owned(),
                    consecutive_failures: r.get::<i64, _>("consecutive_failures") as u32,
                    failing_since: r.get("failing_since"),
                    circuit_open_until: open_until,
                    unavailable: r.get("unavailable"),
                    last_success_at: r.get("last_success_at"),
                    signature_scheme: r.get("signature_scheme"),
                    pending: r.get::<i64, _>("pending") as u64,
                }
            })
            .collect())
    }

    pub(super) async fn activity_status_view(
        &self,
        activity_id: &str,
    ) -> StoreResult<Option<ActivityStatusView>> {
        let Some(a) = sqlx::query(
            "SELECT id, activity_id, actor_id, kind, status, status_detail FROM outbound_activities WHERE activity_id = $1",
        )
        .bind(activity_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT inbox, recipients, state, attempts, next_attempt_at, last_status, last_error FROM deliveries \
             WHERE outbound_id = $1 ORDER BY id",
        )
        .bind(a.get::<i64, _>("id"))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Some(ActivityStatusView {
            activity_id: a.get("activity_id"),
            actor_id: a.get("actor_id"),
            kind: a.get("kind"),
            status: ActivityStatus::parse(a.get::<String, _>("status").as_str()),
            status_detail: a.get("status_detail"),
            deliveries: rows
                .iter()
                .map(|r| DeliveryRow {
                    inbox: r.get("inbox"),
                    recipients: parse_list(&r.get::<String, _>("recipients")),
                    state: r.get("state"),
                    attempts: r.get::<i64, _>("attempts") as u32,
                    next_attempt_at: r.get("next_attempt_at"),
                    last_status: r.get::<Option<i64>, _>("last_status").map(|s| s as u16),
                    last_error: r.get("last_error"),
                })
                .collect(),
        }))
    }

    pub(super) async fn failure_reports(
        &self,
        actor_id: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryReport>> {
        let rows = match actor_id {
            Some(actor) => sqlx::query(select_reports!(
                "WHERE result <> 'success' AND actor_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(actor)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await,
            None => sqlx::query(select_reports!("WHERE result <> 'success' ORDER BY created_at DESC, id DESC LIMIT $1"))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await,
        }
        .map_err(backend)?;
        Ok(rows.iter().map(rows::delivery_report).collect())
    }

    pub(super) async fn activity_reports(
        &self,
        activity_id: &str,
    ) -> StoreResult<Vec<DeliveryReport>> {
        let rows = sqlx::query(select_reports!("WHERE activity_id = $1 ORDER BY id"))
            .bind(activity_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(rows.iter().map(rows::delivery_report).collect())
    }

    pub(super) async fn dead_followers_view(
        &self,
        package_id: Option<i64>,
    ) -> StoreResult<Vec<DeadFollower>> {
        let unavailable: HashSet<String> =
            sqlx::query_scalar("SELECT host FROM hosts WHERE unavailable")
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();
        let gone: HashSet<String> = sqlx::query_scalar(
            "SELECT DISTINCT inbox_url FROM delivery_reports WHERE status_code IN (404, 410) AND NOT action_taken",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .into_iter()
        .collect();
        let rows: Vec<(i64, String, String, Option<String>)> = match package_id {
            Some(p) => sqlx::query_as("SELECT package_id, actor_id, inbox, shared_inbox FROM followers WHERE package_id = $1 ORDER BY id")
                .bind(p)
                .fetch_all(&self.pool)
                .await,
            None => sqlx::query_as("SELECT package_id, actor_id, inbox, shared_inbox FROM followers ORDER BY id")
                .fetch_all(&self.pool)
                .await,
        }
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .filter_map(|(package_id, actor_id, inbox, shared)| {
                let target = shared.clone().unwrap_or_else(|| inbox.clone());
                let host = host_of(&target);
                let reason = if unavailable.contains(&host) {
                    format!("host {host} is marked unavailable (failing continuously)")
                } else if gone.contains(&inbox) || shared.as_ref().is_some_and(|s| gone.contains(s))
                {
                    "its inbox answered 404/410".to_owned()
                } else {
                    return None;
                };
                Some(DeadFollower {
                    package_id,
                    actor_id,
                    inbox,
                    reason,
                })
            })
            .collect())
    }
}
