//! `Undo{Follow}`: the follower leaves.

use async_trait::async_trait;
use pkgfed_protocol::activitystreams::id_of;
use serde_json::Value;

use super::{ActivityHandler, Context};
use crate::events::Event;
use crate::inbound::Inbound;
use crate::inbound::error::Result;
use crate::packages;

/// Handles `Undo`; only `Undo{Follow}` has side effects.
pub struct UndoHandler;

#[async_trait]
impl ActivityHandler for UndoHandler {
    async fn on_inbound(&self, state: &Inbound, ctx: &Context<'_>) -> Result<()> {
        let actor = ctx.activity.actor.as_str();
        let object = &ctx.activity.object;
        match object {
            // Embedded Follow (Mastodon, GoToSocial, Misskey): its object names the package.
            Value::Object(follow) => {
                if follow.get("type").and_then(Value::as_str) != Some("Follow") {
                    return Ok(());
                }
                // An actor can only undo its own follow.
                if follow
                    .get("actor")
                    .and_then(id_of)
                    .is_some_and(|a| a != actor)
                {
                    return Ok(());
                }
                let target = follow.get("object").and_then(id_of);
                let handle = target.and_then(|t| state.urls.handle_of_actor(t));
                if let Some(handle) = handle
                    && let Some(package) =
                        packages::find_by_handle(&state.store, &state.settings.ecosystems, &handle)
                            .await?
                {
                    if state.store.remove_follower(package.id, actor).await? {
                        state.events.publish(Event::FollowerRemoved {
                            package: Some(state.urls.actor(&package.handle)),
                            follower: actor.to_owned(),
                            reason: "undo",
                        });
                    }
                    return Ok(());
                }
                // Fall back to the Follow's id when its object is not recognisable.
                if let Some(id) = follow.get("id").and_then(Value::as_str) {
                    remove_by_follow_id(state, actor, id).await?;
                }
            }
            // Only the Follow's id.
            Value::String(id) => remove_by_follow_id(state, actor, id).await?,
            _ => {}
        }
        Ok(())
    }
}

async fn remove_by_follow_id(state: &Inbound, actor: &str, follow_id: &str) -> Result<()> {
    if state.store.remove_follow_by_id(actor, follow_id).await? > 0 {
        state.events.publish(Event::FollowerRemoved {
            package: None,
            follower: actor.to_owned(),
            reason: "undo",
        });
    }
    Ok(())
}
