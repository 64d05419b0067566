//! `Delete` of a remote actor (by itself): it is removed from every package.

use async_trait::async_trait;
use pkgfed_protocol::activitystreams::id_of;

use super::{ActivityHandler, Context};
use crate::events::Event;
use crate::inbound::Inbound;
use crate::inbound::error::Result;

/// Handles `Delete`; only an actor deleting itself has side effects here.
pub struct DeleteHandler;

#[async_trait]
impl ActivityHandler for DeleteHandler {
    async fn on_inbound(&self, state: &Inbound, ctx: &Context<'_>) -> Result<()> {
        let actor = ctx.activity.actor.as_str();
        if id_of(&ctx.activity.object) != Some(actor) {
            return Ok(());
        }
        let removed = state.store.remove_actor(actor).await?;
        if removed > 0 {
            tracing::info!(%actor, removed, "remote actor deleted; follows removed");
            state.events.publish(Event::FollowerRemoved {
                package: None,
                follower: actor.to_owned(),
                reason: "actor_deleted",
            });
        }
        Ok(())
    }
}
