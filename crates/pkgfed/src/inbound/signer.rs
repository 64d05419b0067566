//! Step 2: who signed? `keyId` → the owner's actor document and public key.
//!
//! Keys are cached in the store with a TTL. A cached key is used first; when it does
//! not verify the signature the key is fetched once more (key rotation). Fetches are
//! signed GETs as the instance actor (servers in secure mode require that) and go
//! through the SSRF-safe fetcher. A fetched key is written to the cache only after it
//! verified a request, so a refused request leaves no trace in the store.

use pkgfed_protocol::activitystreams::{ActorKey, RemoteActor};
use pkgfed_protocol::keys::PublicKey;
use serde_json::Value;

use crate::inbound::Inbound;
use crate::inbound::error::{InboundError, Result};
use crate::store::{CachedKey, now_unix};

/// Accept header of actor fetches.
pub const ACTOR_ACCEPT: &str = r#"application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;

/// A resolved signer.
#[derive(Clone, Debug)]
pub struct Signer {
    /// The key id the signature named.
    pub key_id: String,
    /// The owning actor.
    pub actor_id: String,
    /// The actor's inbox.
    pub inbox: String,
    /// The actor's shared inbox.
    pub shared_inbox: Option<String>,
    /// The key as PEM (to cache).
    pub pem: String,
    /// The parsed key.
    pub key: PublicKey,
    /// Whether it was just fetched (and should be cached once it verified).
    pub fetched_at: i64,
    /// True when it came from the network in this request.
    pub fresh: bool,
}

impl Signer {
    fn from_cached(c: CachedKey) -> Result<Self> {
        let key = PublicKey::from_pem(&c.public_key_pem).map_err(|e| {
            InboundError::Unauthorized(format!("cached key {} is unusable: {e}", c.key_id))
        })?;
        Ok(Self {
            key_id: c.key_id,
            actor_id: c.actor_id,
            inbox: c.inbox,
            shared_inbox: c.shared_inbox,
            pem: c.public_key_pem,
            key,
            fetched_at: c.fetched_at,
            fresh: false,
        })
    }
}

/// The cached signer for `key_id`, if any, and whether it is still within the TTL.
pub async fn cached(state: &Inbound, key_id: &str) -> Result<Option<(Signer, bool)>> {
    let Some(c) = state.store.cached_key(key_id).await? else {
        return Ok(None);
    };
    let ttl = state.settings.actor_cache_ttl.as_secs() as i64;
    let fresh_enough = now_unix() - c.fetched_at < ttl;
    Ok(Some((Signer::from_cached(c)?, fresh_enough)))
}

/// Fetches the key and its owner from the network.
pub async fn fetch(state: &Inbound, key_id: &str) -> Result<Signer> {
    let key_url = url::Url::parse(key_id)
        .map_err(|e| InboundError::Unauthorized(format!("keyId `{key_id}` is not a URL: {e}")))?;
    if !matches!(key_url.scheme(), "http" | "https") {
        return Err(InboundError::Unauthorized(format!(
            "keyId `{key_id}` is not an http(s) URL"
        )));
    }
    let mut doc_url = key_url.clone();
    doc_url.set_fragment(None);
    let doc = get_json(state, &doc_url).await?;

    // `/main-key` style key ids may dereference to the key object itself, whose owner
    // is the actor; fragment ids dereference to the actor.
    let (actor_doc, actor_url) = if doc.get("publicKeyPem").is_some() && doc.get("inbox").is_none()
    {
        let owner = doc.get("owner").and_then(Value::as_str).ok_or_else(|| {
            InboundError::Unauthorized(format!("key document {doc_url} has no owner"))
        })?;
        let owner_url = url::Url::parse(owner).map_err(|e| {
            InboundError::Unauthorized(format!("key owner `{owner}` is not a URL: {e}"))
        })?;
        (get_json(state, &owner_url).await?, owner_url)
    } else {
        (doc, doc_url)
    };
    let actor = RemoteActor::from_json(&actor_doc).map_err(|e| {
        InboundError::Unauthorized(format!("actor document for key {key_id} is unusable: {e}"))
    })?;
    // The document must live where it claims to: an actor served from one host cannot
    // speak for another.
    if actor.id.host_str() != actor_url.host_str() || actor.id.host_str() != key_url.host_str() {
        return Err(InboundError::Unauthorized(format!(
            "actor {} was served from {} for key {key_id}: hosts differ",
            actor.id, actor_url
        )));
    }
    let key: &ActorKey = actor.key(key_id).ok_or_else(|| {
        InboundError::Unauthorized(format!("actor {} does not publish key {key_id}", actor.id))
    })?;
    if let Some(owner) = &key.owner
        && owner != actor.id.as_str()
    {
        return Err(InboundError::Unauthorized(format!(
            "key {key_id} is owned by {owner}, not by {}",
            actor.id
        )));
    }
    let public = PublicKey::from_pem(&key.pem).map_err(|e| {
        InboundError::Unauthorized(format!("key {key_id} is not a usable public key: {e}"))
    })?;
    let pem = key.pem.clone();
    Ok(Signer {
        key_id: key_id.to_owned(),
        actor_id: actor.id.to_string(),
        inbox: actor.inbox.to_string(),
        shared_inbox: actor.shared_inbox.as_ref().map(|u| u.to_string()),
        pem,
        key: public,
        fetched_at: now_unix(),
        fresh: true,
    })
}

async fn get_json(state: &Inbound, url: &url::Url) -> Result<Value> {
    let fetched = state
        .fetcher
        .get(url, ACTOR_ACCEPT, Some(&state.instance_signer))
        .await
        .map_err(|e| {
            InboundError::Unauthorized(format!("cannot fetch {url} to verify the signature: {e}"))
        })?;
    if !fetched.status.is_success() {
        return Err(InboundError::Unauthorized(format!(
            "cannot fetch {url} to verify the signature: HTTP {}",
            fetched.status.as_u16()
        )));
    }
    serde_json::from_slice(&fetched.body)
        .map_err(|e| InboundError::Unauthorized(format!("{url} did not return JSON: {e}")))
}

/// Caches a signer fetched in this request, after its signature verified.
pub async fn remember(state: &Inbound, signer: &Signer) -> Result<()> {
    if !signer.fresh {
        return Ok(());
    }
    state
        .store
        .put_cached_key(&CachedKey {
            key_id: signer.key_id.clone(),
            actor_id: signer.actor_id.clone(),
            public_key_pem: signer.pem.clone(),
            inbox: signer.inbox.clone(),
            shared_inbox: signer.shared_inbox.clone(),
            fetched_at: signer.fetched_at,
        })
        .await?;
    Ok(())
}
