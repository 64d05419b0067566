//! `claim_due` against a straightforward reference (rank every due delivery per host)
//! on random queues: the same deliveries, including with one host's backlog ahead of
//! everything else (the claim then goes host by host). On both backends.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::db::{Raw, TestDb, Val};
use pkgfed::store::delivery::ClaimLimits;

const REFERENCE: &str = "SELECT id FROM ( \
     SELECT d.id AS id, d.attempts AS attempts, d.next_attempt_at AS due, \
       ROW_NUMBER() OVER (PARTITION BY d.host ORDER BY d.attempts > 0, d.next_attempt_at, d.id) \
         + COALESCE((SELECT COUNT(*) FROM deliveries f WHERE f.host = d.host AND f.state = 'in_flight'), 0) AS slot, \
       CASE WHEN h.circuit_open_until IS NOT NULL THEN 1 ELSE ?2 END AS host_limit \
     FROM deliveries d LEFT JOIN hosts h ON h.host = d.host \
     WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 \
       AND (h.circuit_open_until IS NULL OR h.circuit_open_until <= ?1) \
   ) AS ranked WHERE slot <= host_limit ORDER BY attempts > 0, due, id LIMIT ?3";

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

async fn fill(db: &Raw, rng: &mut Rng, now: i64, backlog: bool) {
    let mut statements: Vec<(&'static str, Vec<Val>)> = vec![
        ("DELETE FROM deliveries", vec![]),
        ("DELETE FROM hosts", vec![]),
    ];
    let hosts = 1 + rng.below(30);
    for h in 0..hosts {
        let open = match rng.below(5) {
            0 => Some(now + 1000),
            1 => Some(now - 1000),
            2 => Some(now),
            _ => None,
        };
        if open.is_some() || rng.below(2) == 0 {
            statements.push((
                "INSERT INTO hosts (host, circuit_open_until) VALUES (?1, ?2)",
                vec![Val::Text(format!("h{h}")), Val::OptInt(open)],
            ));
        }
    }
    let mut rows = Vec::new();
    if backlog {
        // One healthy host with a long backlog ahead of every other delivery.
        for _ in 0..300 {
            rows.push(("hb".to_owned(), "pending", 0, now - 10_000));
        }
    }
    for _ in 0..rng.below(400) {
        let host = format!("h{}", rng.below(hosts));
        let state =
            ["pending", "pending", "pending", "in_flight", "succeeded"][rng.below(5) as usize];
        let attempts = [0, 0, 1, 3][rng.below(4) as usize];
        let due = now - 50 + rng.below(60) as i64;
        rows.push((host, state, attempts, due));
    }
    for (i, (host, state, attempts, due)) in rows.into_iter().enumerate() {
        statements.push((
            "INSERT INTO deliveries (outbound_id, inbox, host, recipients, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (1, ?1, ?2, '[]', ?3, ?4, ?5, 0, 0)",
            vec![
                Val::Text(format!("https://{host}/inbox/{i}")),
                Val::Text(host),
                Val::Text(state.to_owned()),
                Val::Int(attempts),
                Val::Int(due),
            ],
        ));
    }
    db.batch(&statements).await;
}

both_backends!(claims_what_ranking_every_due_delivery_would);

async fn claims_what_ranking_every_due_delivery_would(db: TestDb) {
    let store = db.open().await;
    let pool = Raw::connect(&db).await;
    pool.execute(
        "INSERT INTO outbound_activities (id, activity_id, actor_id, kind, activity, status, created_at, updated_at) \
         VALUES (1, 'a1', 'actor', 'Create', '{}', 'pending', 0, 0)",
        vec![],
    )
    .await;
    let mut rng = Rng(42);
    let now = 1_000_000;
    for round in 0..120 {
        fill(&pool, &mut rng, now, round % 3 == 0).await;
        // Several claims in a row on the same queue (in-flight counts grow).
        for _ in 0..3 {
            let limit = 1 + rng.below(40) as u32;
            let per_host = 1 + rng.below(5) as u32;
            let mut want: Vec<i64> = pool
                .ints(
                    REFERENCE,
                    &[
                        Val::Int(now),
                        Val::Int(i64::from(per_host)),
                        Val::Int(i64::from(limit)),
                    ],
                )
                .await;
            let claimed = store
                .claim_due(ClaimLimits {
                    now_ms: now,
                    lease_ms: 1000,
                    limit,
                    per_host,
                })
                .await
                .unwrap();
            let got: Vec<i64> = claimed.iter().map(|d| d.id).collect();
            let mut got_sorted = got.clone();
            got_sorted.sort_unstable();
            want.sort_unstable();
            assert_eq!(
                got_sorted, want,
                "round {round}, limit {limit}, per_host {per_host}"
            );
            let states: i64 = pool
                .ints(
                    "SELECT COUNT(*) FROM deliveries WHERE state = 'in_flight' AND lease_until = ?1",
                    &[Val::Int(now + 1000)],
                )
                .await[0];
            assert!(states >= got.len() as i64);
        }
    }
}
