//! Putting posts on the wire and in the store, shared by release and advisory posts:
//! a new Note (its `Create` in the outbox and to the followers), a revised Note
//! (`Update`), a deleted Note (`Delete` of a Tombstone).

use serde_json::Value;

use crate::federation::activities;
use crate::outbound::outbox;
use crate::outbound::{Outbound, Result};
use crate::store::Package;
use crate::store::delivery::Audience;
use crate::store::watch::PostRow;

pub use crate::outbound::outbox::followers;

/// Publishes `note` (a `Create` in the outbox, to the followers) and stores it as a
/// `kind` post; returns the Note's id.
pub async fn publish_note(
    state: &impl AsRef<Outbound>,
    package: &Package,
    note: &Value,
    kind: &str,
    version: Option<&str>,
) -> Result<String> {
    let state = state.as_ref();
    let note_id = note["id"].as_str().unwrap_or_default().to_owned();
    let create = activities::create(note);
    // The Note is stored before its Create is queued: a follower's server that fetches
    // the Note as soon as the Create arrives must find it (a 404 there drops the post).
    // Should pkgfed stop between the two, the release is not yet recorded, so the next
    // check stores the same Note again and queues the Create then: nothing is lost.
    state
        .store
        .put_post(
            &PostRow {
                note_id: note_id.clone(),
                package_id: package.id,
                kind: kind.to_owned(),
                version: version.map(str::to_owned),
                object: note.to_string(),
                create_id: create["id"].as_str().unwrap_or_default().to_owned(),
                deleted_at: None,
            },
            state.clock.now_ms(),
        )
        .await?;
    outbox::publish(state, package, &create, Audience::default()).await?;
    Ok(note_id)
}

/// Stores the revised `note` in place of `stored` and sends its `Update` (`reason`
/// makes the activity's id unique).
pub async fn update_note(
    state: &impl AsRef<Outbound>,
    package: &Package,
    stored: PostRow,
    note: &Value,
    reason: &str,
) -> Result<()> {
    let state = state.as_ref();
    let update = activities::update(note, reason);
    // Stored first: a follower's server that fetches the Note as the Update arrives
    // sees the revision. A stop between the two leaves the caller's own record (the
    // release or advisory row) unchanged, so the next check sends the Update again.
    state
        .store
        .put_post(
            &PostRow {
                object: note.to_string(),
                ..stored
            },
            state.clock.now_ms(),
        )
        .await?;
    outbox::send(state, package, &update, followers(package)).await?;
    Ok(())
}

/// Marks the Note deleted (it leaves the outbox and answers 410) and sends its
/// `Delete`.
pub async fn delete_note(
    state: &impl AsRef<Outbound>,
    package: &Package,
    note_id: &str,
) -> Result<()> {
    let state = state.as_ref();
    let now = state.clock.now_ms();
    let delete = activities::delete(
        &state.urls.actor(&package.handle),
        &state.urls.actor_sub(&package.handle, "followers"),
        note_id,
        now / 1000,
    );
    // Marked first, as in update_note: a fetch after the Delete answers 410.
    state.store.delete_post(note_id, now).await?;
    outbox::send(state, package, &delete, followers(package)).await?;
    Ok(())
}
