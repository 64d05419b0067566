//! Outbound delivery: the transactional outbox and the durable queue behind it.
//!
//! ```text
//! outbox::send / publish ── one transaction: activity + one delivery per inbox
//!        (followers grouped by shared inbox; unavailable hosts recorded as skipped)
//! worker ── claim due (fresh before retries, per-host limit, circuit breaker)
//!        → attempt (sign draft-cavage; RFC 9421 on 401, remembered per host)
//!        → classify → recorder (batched: delivery, report, host health, status)
//!        → remediate (404/410, repeated 403, repeated 401) → events
//! ```

pub mod accept;
pub mod attempt;
pub mod backfill;
pub mod classify;
pub mod outbox;
mod recorder;
pub mod remediate;
pub mod schedule;
pub mod worker;
