//! `record_attempts` (one transaction for a batch) against recording the same
//! attempts one at a time, on random outcomes: the same delivery rows, reports,
//! host health (circuit, availability, scheme) and activity status, and the same
//! per-attempt `Recorded` flags — including a delivery recorded twice in a batch.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use pkgfed::store::delivery::{
    AttemptOutcome, AttemptRecord, ClaimLimits, ClaimedDelivery, HostEffect, HostPolicy,
    ReportResult, SuggestedAction,
};
use pkgfed::store::{self, SharedStore};
use sqlx::SqlitePool;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const NOW: i64 = 10_000_000;

async fn open(dir: &std::path::Path, name: &str) -> (SharedStore, SqlitePool) {
    let url = format!("sqlite://{}", dir.join(name).display());
    let store = store::open(&url).await.unwrap();
    let pool = SqlitePool::connect(&url).await.unwrap();
    for a in 1..=3 {
        sqlx::query(
            "INSERT INTO outbound_activities (id, activity_id, actor_id, kind, activity, status, created_at, updated_at) \
             VALUES (?1, 'a' || ?1, 'actor', 'Create', '{}', 'pending', 0, 0)",
        )
        .bind(a)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Hosts with some history: failing for a while, open circuit, unavailable.
    for (host, failures, since, unavailable) in [
        ("h1", 1, Some(NOW - 1_000), 0),
        ("h2", 3, Some(NOW - 90_000), 0),
        ("h3", 0, None, 1),
    ] {
        sqlx::query(
            "INSERT INTO hosts (host, consecutive_failures, failing_since, unavailable, signature_scheme) \
             VALUES (?, ?, ?, ?, 'cavage')",
        )
        .bind(host)
        .bind(failures)
        .bind(since)
        .bind(unavailable)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut rng = Rng(7);
    for i in 0..60 {
        let host = format!("h{}", rng.below(6));
        sqlx::query(
            "INSERT INTO deliveries (outbound_id, inbox, host, recipients, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?, ?, ?, '[\"https://x/u\"]', 'pending', ?, 0, 0, 0)",
        )
        .bind(1 + rng.below(3) as i64)
        .bind(format!("https://{host}/inbox/{i}"))
        .bind(&host)
        .bind(rng.below(3) as i64)
        .execute(&pool)
        .await
        .unwrap();
    }
    (store, pool)
}

fn outcome(rng: &mut Rng, now: i64) -> (AttemptOutcome, HostEffect, Option<&'static str>) {
    let effect =
        [HostEffect::Alive, HostEffect::Failing, HostEffect::Neutral][rng.below(3) as usize];
    let scheme = [None, Some("cavage"), Some("rfc9421")][rng.below(3) as usize];
    let outcome = match rng.below(5) {
        0 | 1 => AttemptOutcome::Succeeded { status: 202 },
        2 => AttemptOutcome::Retry {
            at_ms: now + 1_000 * (1 + rng.below(100) as i64),
            status: Some(503),
            error: "HTTP 503".into(),
        },
        3 => AttemptOutcome::Failed {
            result: ReportResult::PermanentFailure,
            status: Some(410),
            reason: "HTTP 410".into(),
            action: Some(SuggestedAction::RemoveFollower),
        },
        _ => AttemptOutcome::Failed {
            result: ReportResult::TransientFailure,
            status: None,
            reason: "gave up after 8 attempts; last: timeout".into(),
            action: None,
        },
    };
    (outcome, effect, scheme)
}

async fn snapshot(pool: &SqlitePool) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT json_array(id, state, attempts, next_attempt_at, last_status, last_error, lease_until, updated_at) \
         FROM deliveries ORDER BY id",
        "SELECT json_array(host, consecutive_failures, failing_since, circuit_open_until, unavailable, last_success_at, \
         signature_scheme) FROM hosts ORDER BY host",
        "SELECT json_array(id, status, status_detail, updated_at) FROM outbound_activities ORDER BY id",
        "SELECT json_array(activity_id, actor_id, activity_type, recipients, inbox_url, host, result, status_code, reason, \
         suggested_action, action_taken, attempts, created_at) FROM delivery_reports ORDER BY id",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        out.extend(rows);
    }
    out
}

#[tokio::test]
async fn a_batch_records_what_one_at_a_time_would() {
    let dir = tempfile::tempdir().unwrap();
    let policy = HostPolicy {
        failure_threshold: 3,
        base_cooldown_ms: 60_000,
        max_cooldown_ms: 3_600_000,
        unavailable_after_ms: 50_000,
    };
    for round in 0..12u64 {
        let (batched, batched_pool) = open(dir.path(), &format!("b{round}.db")).await;
        let (single, single_pool) = open(dir.path(), &format!("s{round}.db")).await;
        let limits = ClaimLimits {
            now_ms: NOW,
            lease_ms: 60_000,
            limit: 1_000,
            per_host: 1_000,
        };
        let claimed: Vec<ClaimedDelivery> = batched.claim_due(limits).await.unwrap();
        let claimed_single = single.claim_due(limits).await.unwrap();
        assert_eq!(claimed.len(), 60);
        assert_eq!(
            claimed.iter().map(|d| d.id).collect::<Vec<_>>(),
            claimed_single.iter().map(|d| d.id).collect::<Vec<_>>()
        );
        let mut rng = Rng(1000 + round);
        let mut attempts: Vec<(
            ClaimedDelivery,
            AttemptOutcome,
            HostEffect,
            Option<&str>,
            i64,
        )> = Vec::new();
        let mut now = NOW;
        for d in &claimed {
            now += rng.below(20_000) as i64;
            let (o, e, s) = outcome(&mut rng, now);
            attempts.push((d.clone(), o, e, s, now));
        }
        // A delivery attempted again (its lease expired) within the same batch: the
        // later outcome must win.
        for k in [3usize, 17] {
            now += 1_000;
            let (o, e, s) = outcome(&mut rng, now);
            attempts.push((claimed[k].clone(), o, e, s, now));
        }
        let records: Vec<AttemptRecord<'_>> = attempts
            .iter()
            .map(|(d, o, e, s, now)| AttemptRecord {
                delivery: d,
                outcome: o,
                effect: *e,
                scheme: *s,
                now_ms: *now,
            })
            .collect();

        let mut got = Vec::new();
        let mut rest = &records[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len() as u64 * 2).min(rest.len() as u64 - 1) as usize;
            got.extend(batched.record_attempts(&rest[..n], &policy).await.unwrap());
            rest = &rest[n..];
        }
        let mut want = Vec::new();
        for r in &records {
            want.extend(
                single
                    .record_attempts(std::slice::from_ref(r), &policy)
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(got.len(), records.len());
        let mut changes_got: BTreeMap<i64, Vec<_>> = BTreeMap::new();
        let mut changes_want: BTreeMap<i64, Vec<_>> = BTreeMap::new();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let ctx = format!("round {round}, attempt {i}: {:?}", attempts[i].1);
            assert_eq!(g.report_id.is_some(), w.report_id.is_some(), "{ctx}");
            assert_eq!(g.circuit_opened, w.circuit_opened, "{ctx}");
            assert_eq!(g.became_unavailable, w.became_unavailable, "{ctx}");
            let outbound = attempts[i].0.outbound_id;
            changes_got
                .entry(outbound)
                .or_default()
                .extend(g.status_changed);
            changes_want
                .entry(outbound)
                .or_default()
                .extend(w.status_changed);
        }
        // Status changes are reported net per batch; one at a time gives the same
        // ones, except for the activities of the twice-attempted deliveries (a retry
        // recorded after the activity completed reopens it, and one batch may hold
        // both: no net change).
        for k in [3usize, 17] {
            changes_got.remove(&claimed[k].outbound_id);
            changes_want.remove(&claimed[k].outbound_id);
        }
        assert_eq!(changes_got, changes_want, "round {round}");
        assert_eq!(
            snapshot(&batched_pool).await,
            snapshot(&single_pool).await,
            "round {round}"
        );
    }
}
