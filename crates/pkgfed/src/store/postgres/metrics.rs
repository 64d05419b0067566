//! What `/metrics` reads from PostgreSQL at scrape time: one statement of indexed
//! lookups, so scraping costs the same on a small and a large database (the queue
//! depth walks the pending part of `deliveries_due`, up to a cap).

use sqlx::{PgPool, Row};

use super::backend;
use crate::store::{MetricsCounts, StoreResult};

pub(super) async fn counts(pool: &PgPool) -> StoreResult<MetricsCounts> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM packages) AS packages, \
                (SELECT COUNT(*) FROM followers) AS follows, \
                (SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE state = 'pending' LIMIT $1) AS q) AS pending, \
                (SELECT COUNT(*) FROM deliveries WHERE state = 'in_flight') AS in_flight, \
                (SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending') AS oldest_due",
    )
    .bind(MetricsCounts::QUEUE_DEPTH_CAP as i64)
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    let n = |c: &str| row.get::<i64, _>(c).max(0) as u64;
    Ok(MetricsCounts {
        packages: n("packages"),
        follows: n("follows"),
        pending_deliveries: n("pending"),
        in_flight_deliveries: n("in_flight"),
        oldest_due_at: row.get::<Option<i64>, _>("oldest_due"),
    })
}
