//! The outbox transaction on SQLite: an activity and one delivery per target inbox
//! (followers grouped by shared inbox), written together in a write transaction
//! that takes the lock up front ([`SqliteStore::write_tx`]).

use std::collections::{HashMap, HashSet};

use sqlx::{Row, Sqlite, Transaction};

use super::delivery_record::{ReportRow, insert_report};
use super::{SqliteStore, backend};
use crate::store::StoreResult;
use crate::store::delivery::*;
use crate::store::rows::json_list;

impl SqliteStore {
    pub(super) async fn enqueue_in(
        tx: &mut Transaction<'static, Sqlite>,
        o: &NewOutbound,
        audience: &Audience,
        now_ms: i64,
        public: bool,
    ) -> StoreResult<Enqueued> {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO outbound_activities (activity_id, actor_id, package_id, kind, activity, status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (activity_id) DO NOTHING RETURNING id",
        )
        .bind(&o.activity_id)
        .bind(&o.actor_id)
        .bind(o.package_id)
        .bind(&o.kind)
        .bind(&o.activity)
        .bind(now_ms)
        .bind(now_ms)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        let Some(outbound_id) = inserted else {
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM outbound_activities WHERE activity_id = ?")
                    .bind(&o.activity_id)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?;
            return Ok(Enqueued {
                outbound_id: id,
                created: false,
                deliveries: 0,
                skipped: 0,
            });
        };
        if public && let Some(package_id) = o.package_id {
            sqlx::query("INSERT INTO outbox (package_id, activity_id, kind, activity, published) VALUES (?, ?, ?, ?, ?)")
                .bind(package_id)
                .bind(&o.activity_id)
                .bind(&o.kind)
                .bind(&o.activity)
                .bind(now_ms / 1000)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }

        // Targets in a stable order: followers grouped by shared inbox, then direct.
        let mut order: Vec<String> = Vec::new();
        let mut recipients: HashMap<String, Vec<String>> = HashMap::new();
        let mut add = |inbox: String, actor: String| {
            let list = recipients.entry(inbox.clone()).or_insert_with(|| {
                order.push(inbox);
                Vec::new()
            });
            if !list.contains(&actor) {
                list.push(actor);
            }
        };
        if let Some(package_id) = audience.followers_of {
            let rows = sqlx::query("SELECT actor_id, inbox, shared_inbox FROM followers WHERE package_id = ? ORDER BY id")
                .bind(package_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(backend)?;
            for row in rows {
                let shared: Option<String> = row.get("shared_inbox");
                let inbox: String = row.get("inbox");
                add(
                    shared.filter(|s| !s.is_empty()).unwrap_or(inbox),
                    row.get("actor_id"),
                );
            }
        }
        for d in &audience.direct {
            add(d.inbox.clone(), d.recipient.clone());
        }
        let unavailable: HashSet<String> =
            sqlx::query_scalar("SELECT host FROM hosts WHERE unavailable = 1")
                .fetch_all(&mut **tx)
                .await
                .map_err(backend)?
                .into_iter()
                .collect();

        let (mut deliveries, mut skipped) = (0u64, 0u64);
        for (i, inbox) in order.iter().enumerate() {
            let host = host_of(inbox);
            let list = json_list(&recipients[inbox])?;
            let skip = unavailable.contains(&host);
            let state = if skip { "skipped" } else { "pending" };
            sqlx::query(
                "INSERT INTO deliveries (outbound_id, inbox, host, recipients, state, next_attempt_at, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (outbound_id, inbox) DO NOTHING",
            )
            .bind(outbound_id)
            .bind(inbox)
            .bind(&host)
            .bind(&list)
            .bind(state)
            .bind(now_ms + i as i64 * audience.pacing_ms)
            .bind(now_ms)
            .bind(now_ms)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
            if skip {
                skipped += 1;
                insert_report(
                    tx,
                    ReportRow {
                        activity_id: &o.activity_id,
                        actor_id: &o.actor_id,
                        kind: &o.kind,
                        recipients: &list,
                        inbox,
                        host: &host,
                        result: ReportResult::Skipped,
                        status: None,
                        reason: "not attempted: the host is marked unavailable after failing continuously",
                        action: None,
                        attempts: 0,
                    },
                    now_ms,
                )
                .await?;
            } else {
                deliveries += 1;
            }
        }
        if deliveries == 0 {
            sqlx::query(
                "UPDATE outbound_activities SET status = 'completed', updated_at = ? WHERE id = ?",
            )
            .bind(now_ms)
            .bind(outbound_id)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        }
        Ok(Enqueued {
            outbound_id,
            created: true,
            deliveries,
            skipped,
        })
    }
}
