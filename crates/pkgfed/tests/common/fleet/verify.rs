//! Signature checks of the fleet: every POST verified against the signer's actor
//! document, fetched once per key id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use pkgfed_protocol::keys::PublicKey;
use pkgfed_protocol::signatures::{self, Scheme, VerifyOptions};
use serde_json::Value;

use super::wire::Request;

/// Verified keys by key id: one fetch per signer, not per POST.
#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<String, PublicKey>>);

/// Verifies a POST's signature with the signer's key, fetched once per key id.
pub async fn verify(
    client: &reqwest::Client,
    keys: &KeyCache,
    req: &Request,
) -> (Result<String, String>, Option<Scheme>) {
    let opts = VerifyOptions {
        max_skew: Duration::from_secs(3600),
        now: SystemTime::now(),
        scheme: "http".into(),
    };
    let parsed =
        match signatures::parse_request(&req.method, &req.target, &req.headers, &req.body, &opts) {
            Ok(p) => p,
            Err(e) => return (Err(e.to_string()), None),
        };
    let scheme = Some(parsed.scheme);
    let cached = keys.0.lock().unwrap().get(&parsed.key_id).cloned();
    let key = match cached {
        Some(k) => k,
        None => match fetch_key(client, &parsed.key_id).await {
            Ok(k) => {
                let mut keys = keys.0.lock().unwrap();
                keys.insert(parsed.key_id.clone(), k.clone());
                k
            }
            Err(e) => return (Err(e), scheme),
        },
    };
    let verified = parsed.verify(&key).map_err(|e| e.to_string());
    (verified.map(|()| parsed.key_id.clone()), scheme)
}

async fn fetch_key(client: &reqwest::Client, key_id: &str) -> Result<PublicKey, String> {
    let doc: Value = client
        .get(key_id.split('#').next().unwrap_or_default())
        .header("accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if doc["publicKey"]["id"].as_str() != Some(key_id) {
        return Err(format!("key id {key_id} not in actor document"));
    }
    let pem = doc["publicKey"]["publicKeyPem"]
        .as_str()
        .ok_or("no publicKeyPem")?;
    PublicKey::from_pem(pem).map_err(|e| e.to_string())
}
