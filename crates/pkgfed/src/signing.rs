//! Keys and signatures: the instance actor's key (loaded from the store or generated
//! once), fresh package keys, and the two request signers pkgfed uses — draft-cavage
//! ([`ActorSigner`], what Mastodon expects on every GET and POST) and RFC 9421
//! ([`Rfc9421Signer`], the second knock of a delivery refused with 401).

use std::sync::Arc;
use std::time::SystemTime;

use http::{HeaderMap, Method};
use pkgfed_protocol::fetch::RequestSigner;
use pkgfed_protocol::keys::RsaPrivateKey;
use pkgfed_protocol::signatures::{self, Rfc9421Key};
use url::Url;

use crate::error::{Error, Result};
use crate::store::SharedStore;

/// Name of the instance actor's key in the store.
const INSTANCE_KEY: &str = "instance-actor";

/// The instance actor's key: the stored one, or a new one stored on first start.
pub async fn load_or_create_instance_key(store: &SharedStore) -> Result<RsaPrivateKey> {
    let pem = match store.instance_key(INSTANCE_KEY).await? {
        Some(pem) => pem,
        None => {
            let key = generate_key().await?;
            tracing::info!("generated the instance actor's RSA-2048 key");
            store
                .put_instance_key(INSTANCE_KEY, &key.to_pkcs8_pem())
                .await?
        }
    };
    RsaPrivateKey::from_pkcs8_pem(&pem)
        .map_err(|e| Error::Internal(format!("stored instance key is unusable: {e}")))
}

/// Replaces the instance actor's key with a new one; returns its public key PEM. A
/// running server keeps the key it loaded at start, so this is for a stopped one
/// (`pkgfed packages rotate-key --instance` checks).
pub async fn rotate_instance_key(store: &SharedStore) -> Result<String> {
    let key = generate_key().await?;
    store
        .replace_instance_key(INSTANCE_KEY, &key.to_pkcs8_pem())
        .await?;
    Ok(key.public_key_pem())
}

/// A short name for a public key: the first 16 hex digits of the SHA-256 of its PEM
/// (what rotations print, to tell the old key from the new).
pub fn key_fingerprint(public_key_pem: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(public_key_pem.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Generates an RSA-2048 key off the async threads (it takes tens of milliseconds).
pub async fn generate_key() -> Result<RsaPrivateKey> {
    tokio::task::spawn_blocking(RsaPrivateKey::generate)
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(format!("key generation failed: {e}")))
}

/// Signs requests with one actor's key (draft-cavage `rsa-sha256`, as Mastodon
/// expects on every outbound GET and POST).
#[derive(Clone)]
pub struct ActorSigner {
    /// The private key.
    pub key: Arc<RsaPrivateKey>,
    /// Its key id.
    pub key_id: String,
}

impl RequestSigner for ActorSigner {
    fn sign(
        &self,
        method: &Method,
        url: &Url,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> std::result::Result<(), pkgfed_protocol::Error> {
        signatures::sign_cavage(method, url, headers, body, &self.key_id, &self.key)?;
        Ok(())
    }
}

/// Signs with RFC 9421 (`rsa-v1_5-sha256` over method, target and content digest).
#[derive(Clone)]
pub struct Rfc9421Signer {
    /// The private key.
    pub key: Arc<RsaPrivateKey>,
    /// Its key id.
    pub key_id: String,
}

impl RequestSigner for Rfc9421Signer {
    fn sign(
        &self,
        method: &Method,
        url: &Url,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> std::result::Result<(), pkgfed_protocol::Error> {
        signatures::sign_rfc9421(
            method,
            url,
            headers,
            body,
            &self.key_id,
            Rfc9421Key::RsaV15Sha256(&self.key),
            &["@method", "@target-uri", "content-type", "content-digest"],
            SystemTime::now(),
        )?;
        Ok(())
    }
}
