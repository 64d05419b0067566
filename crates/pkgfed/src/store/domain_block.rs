//! Domains blocked at run time by an operator (admin API or `pkgfed admin block`),
//! persisted so a block survives a restart. The configuration's
//! `federation.blocked_domains` is not stored here; `federation::domain_policy`
//! combines both.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreResult;

/// A stored domain block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainBlock {
    /// The blocked domain (lowercase ASCII); its subdomains are blocked too.
    pub domain: String,
    /// Why, as the operator wrote it (may be empty).
    pub reason: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
}

/// Persistence of run-time domain blocks.
#[async_trait]
pub trait DomainBlockStore: Send + Sync {
    /// Every stored block, by domain.
    async fn domain_blocks(&self) -> StoreResult<Vec<DomainBlock>>;
    /// Adds a block; false (and nothing changed) when the domain was already blocked.
    async fn add_domain_block(&self, block: &DomainBlock) -> StoreResult<bool>;
    /// Removes a block; false when there was none.
    async fn remove_domain_block(&self, domain: &str) -> StoreResult<bool>;
}
