//! Outbound delivery. For now: the signed `Accept` answering a `Follow`, with a
//! bounded retry (the durable queue replaces this in a later step).

pub mod accept;
pub mod sign;
