//! Key rotation of a package actor: a new RSA-2048 key pair replaces the old one, and
//! the followers get `Update{actor}` with the new `publicKey`, signed with the new key,
//! through the durable queue.
//!
//! Order matters: the key is stored, the delivery worker's cached copy forgotten and
//! the signing-keys generation bumped (other processes' workers forget theirs on
//! their next claim) *before* the `Update` is queued, so from the moment the actor document shows the
//! new key nothing is signed with the old one. Remote servers that still hold the old
//! key fail to verify the `Update` and re-fetch the actor (Mastodon, GoToSocial, Fedify
//! and pkgfed itself do), or take the key from the `Update`.

use crate::error::{Error, Result};
use crate::federation::{activities, actor};
use crate::outbound::{Outbound, outbox};
use crate::signing::generate_key;
use crate::store::Package;

/// What a rotation did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Rotated {
    /// The package's purl.
    pub package: String,
    /// The key id (unchanged: `<actor>#main-key`); its key is new.
    pub key_id: String,
    /// SHA-256 of the new public key PEM, first 16 hex digits (to tell keys apart).
    pub fingerprint: String,
    /// The `Update{actor}` activity announcing it.
    pub update_id: String,
    /// Deliveries of the `Update` queued (one per follower inbox, shared inboxes
    /// grouped).
    pub deliveries: u64,
}

/// Rotates `package`'s key and tells its followers.
pub async fn rotate(state: &Outbound, actor_type: &str, package: &Package) -> Result<Rotated> {
    let key = generate_key().await?;
    let public_pem = key.public_key_pem();
    if !state
        .store
        .replace_package_key(package.id, &key.to_pkcs8_pem(), &public_pem)
        .await?
    {
        return Err(Error::NotFound(format!(
            "package {} was removed meanwhile",
            package.purl
        )));
    }
    state.keys.forget(package.id);
    // Other processes on the database (cluster workers) drop their cached keys when
    // they next claim deliveries; this happens before the Update is queued, so
    // whichever worker claims it signs with the new key.
    state
        .store
        .bump_generation(crate::store::cluster::SIGNING_KEYS)
        .await?;
    let fingerprint = crate::signing::key_fingerprint(&public_pem);
    let package = Package {
        public_key_pem: public_pem,
        ..package.clone()
    };
    let actor_id = state.urls.actor(&package.handle);
    let update = activities::actor_update(
        &actor_id,
        &state.urls.actor_sub(&package.handle, "followers"),
        actor::package_actor(&state.urls, actor_type, &package),
        &format!("keys/{fingerprint}"),
    );
    let update_id = update["id"].as_str().unwrap_or_default().to_owned();
    let queued = outbox::send(state, &package, &update, outbox::followers(&package)).await?;
    tracing::info!(package = %package.purl, %fingerprint, deliveries = queued.deliveries, "package key rotated");
    Ok(Rotated {
        package: package.purl.clone(),
        key_id: state.urls.key_id(&package.handle),
        fingerprint,
        update_id,
        deliveries: queued.deliveries,
    })
}
