//! `Follow` of a package actor: record the follower and answer with `Accept`.

use async_trait::async_trait;
use pkgfed_protocol::activitystreams::id_of;

use super::{ActivityHandler, Context};
use crate::events::Event;
use crate::inbound::Inbound;
use crate::inbound::error::Result;
use crate::outbound::{accept, outbox};
use crate::packages;
use crate::posts;
use crate::store::NewFollower;

/// Handles `Follow`.
pub struct FollowHandler;

#[async_trait]
impl ActivityHandler for FollowHandler {
    async fn on_inbound(&self, state: &Inbound, ctx: &Context<'_>) -> Result<()> {
        let Some(target) = id_of(&ctx.activity.object) else {
            return Ok(());
        };
        let Some(handle) = state.urls.handle_of_actor(target) else {
            tracing::debug!(%target, "Follow of something that is not a package actor; stored only");
            return Ok(());
        };
        let Some(package) =
            packages::find_by_handle(&state.store, &state.settings.ecosystems, &handle).await?
        else {
            tracing::debug!(%target, "Follow of an unknown package; stored only");
            return Ok(());
        };
        let follower = NewFollower {
            actor_id: ctx.signer.actor_id.clone(),
            inbox: ctx.signer.inbox.clone(),
            shared_inbox: ctx.signer.shared_inbox.clone(),
            follow_id: ctx.activity.id.to_string(),
        };
        let new = state.store.add_follower(package.id, &follower).await?;
        // A first follower starts watching the package's registry.
        state.watch_wake.notify_one();
        let actor = state.urls.actor(&package.handle);
        tracing::info!(package = %actor, follower = %follower.actor_id, new, "follow accepted");
        state.events.publish(Event::FollowAccepted {
            package: actor,
            follower: follower.actor_id.clone(),
        });
        accept::send(
            &state.outbound,
            &package,
            ctx.json,
            &follower.actor_id,
            &follower.inbox,
        )
        .await?;
        if new {
            let count = state.outbound.settings.delivery.backfill_count;
            let items = posts::backfill::items(&state.store, &package, count).await?;
            outbox::backfill(
                &state.outbound,
                &package,
                &follower.actor_id,
                &follower.inbox,
                &follower.follow_id,
                items,
            )
            .await?;
        }
        Ok(())
    }
}
