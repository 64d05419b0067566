//! Posts: what a package actor says. Composing the release post ([`release`]) and
//! the advisory post ([`advisory`]) from registry and advisory facts, and publishing
//! them ([`publishing`]: the `Create`, `Update` or `Delete` through the outbox, and
//! the stored post that the Note URL serves), and choosing a new follower's
//! [`backfill`].

pub mod advisory;
pub mod backfill;
pub mod publishing;
pub mod release;
