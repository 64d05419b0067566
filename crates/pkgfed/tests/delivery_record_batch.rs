//! `record_attempts` (one transaction for a batch) against recording the same
//! attempts one at a time, on random outcomes: the same delivery rows, reports,
//! host health (circuit, availability, scheme) and activity status, and the same
//! per-attempt `Recorded` flags — including a delivery recorded twice in a batch.
//! On both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeMap;

use common::db::{Backend, Raw, TestDb, Val};
use pkgfed::store::SharedStore;
use pkgfed::store::delivery::{
    AttemptOutcome, AttemptRecord, ClaimLimits, ClaimedDelivery, HostEffect, HostPolicy,
    ReportResult, SuggestedAction,
};

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

/// A fresh database on `backend` with three activities, hosts with some history and
/// 60 pending deliveries (the same on every call).
async fn open(backend: Backend) -> (SharedStore, Raw, TestDb) {
    let db = TestDb::fresh(backend).await.expect("checked by the caller");
    let store = db.open().await;
    let pool = Raw::connect(&db).await;
    let mut statements: Vec<(&'static str, Vec<Val>)> = Vec::new();
    for a in 1..=3 {
        statements.push((
            "INSERT INTO outbound_activities (id, activity_id, actor_id, kind, activity, status, created_at, updated_at) \
             VALUES (?1, 'a' || ?1, 'actor', 'Create', '{}', 'pending', 0, 0)",
            vec![Val::Int(a)],
        ));
    }
    // Hosts with some history: failing for a while, open circuit, unavailable.
    for (host, failures, since, unavailable) in [
        ("h1", 1, Some(NOW - 1_000), false),
        ("h2", 3, Some(NOW - 90_000), false),
        ("h3", 0, None, true),
    ] {
        statements.push((
            "INSERT INTO hosts (host, consecutive_failures, failing_since, unavailable, signature_scheme) \
             VALUES (?1, ?2, ?3, ?4, 'cavage')",
            vec![
                Val::Text(host.to_owned()),
                Val::Int(failures),
                Val::OptInt(since),
                Val::Flag(unavailable),
            ],
        ));
    }
    let mut rng = Rng(7);
    for i in 0..60 {
        let host = format!("h{}", rng.below(6));
        let outbound = 1 + rng.below(3) as i64;
        statements.push((
            "INSERT INTO deliveries (outbound_id, inbox, host, recipients, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, '[\"https://x/u\"]', 'pending', ?4, 0, 0, 0)",
            vec![
                Val::Int(outbound),
                Val::Text(format!("https://{host}/inbox/{i}")),
                Val::Text(host),
                Val::Int(rng.below(3) as i64),
            ],
        ));
    }
    pool.batch(&statements).await;
    (store, pool, db)
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

async fn snapshot(pool: &Raw) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT CAST(json_array(id, state, attempts, next_attempt_at, last_status, last_error, lease_until, updated_at) \
         AS TEXT) FROM deliveries ORDER BY id",
        "SELECT CAST(json_array(host, consecutive_failures, failing_since, circuit_open_until, unavailable, last_success_at, \
         signature_scheme) AS TEXT) FROM hosts ORDER BY host",
        "SELECT CAST(json_array(id, status, status_detail, updated_at) AS TEXT) FROM outbound_activities ORDER BY id",
        "SELECT CAST(json_array(activity_id, actor_id, activity_type, recipients, inbox_url, host, result, status_code, reason, \
         suggested_action, action_taken, attempts, created_at) AS TEXT) FROM delivery_reports ORDER BY id",
    ] {
        out.extend(pool.texts(sql).await);
    }
    out
}

both_backends!(a_batch_records_what_one_at_a_time_would);

async fn a_batch_records_what_one_at_a_time_would(db: TestDb) {
    let backend = db.backend;
    drop(db);
    let policy = HostPolicy {
        failure_threshold: 3,
        base_cooldown_ms: 60_000,
        max_cooldown_ms: 3_600_000,
        unavailable_after_ms: 50_000,
    };
    for round in 0..12u64 {
        let (batched, batched_pool, _b) = open(backend).await;
        let (single, single_pool, _s) = open(backend).await;
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
