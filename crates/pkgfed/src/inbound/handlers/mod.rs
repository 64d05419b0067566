//! Step 7: side effects, by activity type.
//!
//! The pipeline is type-agnostic; handlers registered here act on the types pkgfed
//! understands. An activity of any other type is stored and emitted as an event with
//! no side effects, so new types from remote servers are never refused.

mod delete;
mod follow;
mod undo;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use pkgfed_protocol::activitystreams::ActivityEnvelope;
use serde_json::Value;

use super::signer::Signer;
use crate::inbound::Inbound;
use crate::inbound::error::Result;

/// What a handler sees of a verified, persisted activity.
pub struct Context<'a> {
    /// The validated envelope.
    pub activity: &'a ActivityEnvelope,
    /// The JSON as received.
    pub json: &'a Value,
    /// Who signed it (already checked to be the activity's actor).
    pub signer: &'a Signer,
    /// Local actors it is addressed to.
    pub recipients: &'a [String],
}

/// Side effects of one activity type.
#[async_trait]
pub trait ActivityHandler: Send + Sync {
    /// Acts on a verified, persisted inbound activity.
    async fn on_inbound(&self, state: &Inbound, ctx: &Context<'_>) -> Result<()>;
}

/// Handlers by activity type.
#[derive(Clone, Default)]
pub struct HandlerRegistry {
    by_type: HashMap<&'static str, Arc<dyn ActivityHandler>>,
}

impl HandlerRegistry {
    /// The handlers pkgfed ships: Follow, Undo, Delete.
    pub fn standard() -> Self {
        let mut r = Self::default();
        r.register("Follow", Arc::new(follow::FollowHandler));
        r.register("Undo", Arc::new(undo::UndoHandler));
        r.register("Delete", Arc::new(delete::DeleteHandler));
        r
    }

    /// Adds or replaces the handler of a type.
    pub fn register(&mut self, kind: &'static str, handler: Arc<dyn ActivityHandler>) {
        self.by_type.insert(kind, handler);
    }

    /// Runs the handler of the activity's type, if there is one.
    pub async fn dispatch(&self, state: &Inbound, ctx: &Context<'_>) -> Result<()> {
        match self.by_type.get(ctx.activity.kind.as_str()) {
            Some(h) => h.on_inbound(state, ctx).await,
            None => {
                tracing::debug!(kind = %ctx.activity.kind, "no handler; stored only");
                Ok(())
            }
        }
    }
}
