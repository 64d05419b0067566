//! `claim_due` against a straightforward reference (rank every due delivery per host)
//! on random queues: the same deliveries, including with one host's backlog ahead of
//! everything else (the claim then goes host by host).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use pkgfed::store::{self, delivery::ClaimLimits};
use sqlx::SqlitePool;

const REFERENCE: &str = "SELECT id FROM ( \
     SELECT d.id AS id, d.attempts AS attempts, d.next_attempt_at AS due, \
       ROW_NUMBER() OVER (PARTITION BY d.host ORDER BY d.attempts > 0, d.next_attempt_at, d.id) \
         + COALESCE((SELECT COUNT(*) FROM deliveries f WHERE f.host = d.host AND f.state = 'in_flight'), 0) AS slot, \
       CASE WHEN h.circuit_open_until IS NOT NULL THEN 1 ELSE ?2 END AS host_limit \
     FROM deliveries d LEFT JOIN hosts h ON h.host = d.host \
     WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 \
       AND (h.circuit_open_until IS NULL OR h.circuit_open_until <= ?1) \
   ) WHERE slot <= host_limit ORDER BY attempts > 0, due, id LIMIT ?3";

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

async fn fill(pool: &SqlitePool, rng: &mut Rng, now: i64, backlog: bool) {
    let mut tx = pool.begin().await.unwrap();
    let pool = &mut *tx;
    sqlx::query("DELETE FROM deliveries")
        .execute(&mut *pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM hosts")
        .execute(&mut *pool)
        .await
        .unwrap();
    let hosts = 1 + rng.below(30);
    for h in 0..hosts {
        let open = match rng.below(5) {
            0 => Some(now + 1000),
            1 => Some(now - 1000),
            2 => Some(now),
            _ => None,
        };
        if open.is_some() || rng.below(2) == 0 {
            sqlx::query("INSERT INTO hosts (host, circuit_open_until) VALUES (?, ?)")
                .bind(format!("h{h}"))
                .bind(open)
                .execute(&mut *pool)
                .await
                .unwrap();
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
        sqlx::query(
            "INSERT INTO deliveries (outbound_id, inbox, host, recipients, state, attempts, next_attempt_at, created_at, updated_at) \
             VALUES (1, ?, ?, '[]', ?, ?, ?, 0, 0)",
        )
        .bind(format!("https://{host}/inbox/{i}"))
        .bind(host)
        .bind(state)
        .bind(attempts)
        .bind(due)
        .execute(&mut *pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn claims_what_ranking_every_due_delivery_would() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = store::open(&url).await.unwrap();
    let pool = SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO outbound_activities (id, activity_id, actor_id, kind, activity, status, created_at, updated_at) \
         VALUES (1, 'a1', 'actor', 'Create', '{}', 'pending', 0, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut rng = Rng(42);
    let now = 1_000_000;
    for round in 0..120 {
        fill(&pool, &mut rng, now, round % 3 == 0).await;
        // Several claims in a row on the same queue (in-flight counts grow).
        for _ in 0..3 {
            let limit = 1 + rng.below(40) as u32;
            let per_host = 1 + rng.below(5) as u32;
            let mut want: Vec<i64> = sqlx::query_scalar(REFERENCE)
                .bind(now)
                .bind(i64::from(per_host))
                .bind(i64::from(limit))
                .fetch_all(&pool)
                .await
                .unwrap();
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
            let states: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'in_flight' AND lease_until = ?",
            )
            .bind(now + 1000)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(states >= got.len() as i64);
        }
    }
}
