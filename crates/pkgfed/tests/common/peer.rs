//! A follower peer: a tiny fediverse server on loopback with its own RSA keys,
//! actor documents and inboxes. It signs what it sends and verifies the signature of
//! everything it receives by fetching the sender's actor document, as Mastodon does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pkgfed_protocol::keys::{PublicKey, RsaPrivateKey};
use pkgfed_protocol::signatures::{self, VerifyOptions};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// How a user's keyId looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStyle {
    /// `https://host/users/alice#main-key` (Mastodon).
    Fragment,
    /// `https://host/users/alice/main-key` (GoToSocial), dereferencing to a key object.
    Path,
}

#[derive(Clone)]
struct User {
    key: Arc<RsaPrivateKey>,
    style: KeyStyle,
    gone: bool,
}

/// Something the peer's inboxes received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub body: Value,
    /// Ok(key id) when the signature verified against the sender's published key.
    pub verified: Result<String, String>,
}

#[derive(Default)]
struct PeerState {
    base: String,
    users: Mutex<HashMap<String, User>>,
    received: Mutex<Vec<Received>>,
    /// Actor GETs and whether each was signed (for servers that require signed fetches).
    fetches: Mutex<Vec<(String, bool)>>,
    require_signed_fetch: Mutex<bool>,
}

/// The running peer.
#[derive(Clone)]
pub struct Peer {
    pub base: String,
    state: Arc<PeerState>,
    client: reqwest::Client,
}

impl Peer {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1").await
    }

    /// A peer on another loopback address (e.g. `127.0.0.2`): a second remote
    /// "domain" for tests that treat two servers differently.
    pub async fn start_on(ip: &str) -> Self {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let base = format!("http://{ip}:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(PeerState {
            base: base.clone(),
            ..Default::default()
        });
        let app = Router::new()
            .route("/users/{name}", get(actor_doc))
            .route("/users/{name}/main-key", get(key_doc))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let peer = Self {
            base,
            state,
            client: reqwest::Client::new(),
        };
        peer.add_user("alice", KeyStyle::Fragment);
        peer
    }

    pub fn add_user(&self, name: &str, style: KeyStyle) {
        self.state.users.lock().unwrap().insert(
            name.into(),
            User {
                key: Arc::new(clone_key(super::shared_rsa())),
                style,
                gone: false,
            },
        );
    }

    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    pub fn key_id(&self, name: &str) -> String {
        let style = self.state.users.lock().unwrap()[name].style;
        match style {
            KeyStyle::Fragment => format!("{}#main-key", self.actor(name)),
            KeyStyle::Path => format!("{}/main-key", self.actor(name)),
        }
    }

    pub fn key(&self, name: &str) -> Arc<RsaPrivateKey> {
        self.state.users.lock().unwrap()[name].key.clone()
    }

    /// Replaces a user's key (key rotation).
    pub fn rotate_key(&self, name: &str) {
        let key = Arc::new(RsaPrivateKey::generate().unwrap());
        self.state.users.lock().unwrap().get_mut(name).unwrap().key = key;
    }

    /// The user's actor document answers 410 Gone from now on.
    pub fn set_gone(&self, name: &str) {
        self.state.users.lock().unwrap().get_mut(name).unwrap().gone = true;
    }

    /// Answer actor GETs only when signed (GoToSocial; Mastodon in secure mode).
    pub fn require_signed_fetch(&self, on: bool) {
        *self.state.require_signed_fetch.lock().unwrap() = on;
    }

    pub fn fetches(&self) -> Vec<(String, bool)> {
        self.state.fetches.lock().unwrap().clone()
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// A Follow from `user` of `object`.
    pub fn follow(&self, user: &str, object: &str) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{}", self.actor(user), uuid::Uuid::now_v7()),
            "type": "Follow",
            "actor": self.actor(user),
            "object": object,
        })
    }

    /// Headers of a draft-cavage signed POST of `body` to `url` by `user`.
    pub fn signed_headers(&self, user: &str, url: &str, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/activity+json".parse().unwrap());
        let url = url::Url::parse(url).unwrap();
        signatures::sign_cavage(
            &Method::POST,
            &url,
            &mut headers,
            Some(body),
            &self.key_id(user),
            &self.key(user),
        )
        .unwrap();
        headers
    }

    /// POSTs `activity` signed by `user`; returns status and body.
    pub async fn post(&self, user: &str, url: &str, activity: &Value) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        let headers = self.signed_headers(user, url, &body);
        self.post_raw(url, headers, body).await
    }

    /// POSTs with exactly these headers and body.
    pub async fn post_raw(&self, url: &str, headers: HeaderMap, body: Vec<u8>) -> (u16, String) {
        let res = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Waits for an inbox delivery whose body matches.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        for _ in 0..200 {
            if let Some(r) = self.received().into_iter().find(|r| pred(r)) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("peer never received: {what}; got {:#?}", self.received());
    }
}

fn clone_key(k: &RsaPrivateKey) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(&k.to_pkcs8_pem()).unwrap()
}

async fn record_fetch(state: &PeerState, method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let signed = verify_request(state, method, &path, headers, b"")
        .await
        .is_ok();
    state.fetches.lock().unwrap().push((path, signed));
    signed || !*state.require_signed_fetch.lock().unwrap()
}

async fn actor_doc(
    State(state): State<Arc<PeerState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if !record_fetch(&state, &method, &uri, &headers).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(user) = state.users.lock().unwrap().get(&name).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if user.gone {
        return StatusCode::GONE.into_response();
    }
    let id = format!("{}/users/{name}", state.base);
    let key_id = match user.style {
        KeyStyle::Fragment => format!("{id}#main-key"),
        KeyStyle::Path => format!("{id}/main-key"),
    };
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "endpoints": { "sharedInbox": format!("{}/inbox", state.base) },
        "publicKey": { "id": key_id, "owner": id, "publicKeyPem": user.key.public_key_pem() },
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

async fn key_doc(
    State(state): State<Arc<PeerState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if !record_fetch(&state, &method, &uri, &headers).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(user) = state.users.lock().unwrap().get(&name).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("{}/users/{name}", state.base);
    let doc = json!({
        "@context": "https://w3id.org/security/v1",
        "id": format!("{id}/main-key"),
        "owner": id,
        "publicKeyPem": user.key.public_key_pem(),
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// Verifies a request's signature by fetching the signer's actor document.
async fn verify_request(
    state: &PeerState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, String> {
    let _ = state;
    let opts = VerifyOptions {
        max_skew: Duration::from_secs(3600),
        now: SystemTime::now(),
        scheme: "http".into(),
    };
    let parsed =
        signatures::parse_request(method, path, headers, body, &opts).map_err(|e| e.to_string())?;
    let doc: Value = reqwest::Client::new()
        .get(parsed.key_id.split('#').next().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let pem = doc["publicKey"]["publicKeyPem"]
        .as_str()
        .ok_or("no publicKeyPem")?;
    if doc["publicKey"]["id"].as_str() != Some(parsed.key_id.as_str()) {
        return Err(format!("key id {} not in actor document", parsed.key_id));
    }
    let key = PublicKey::from_pem(pem).map_err(|e| e.to_string())?;
    parsed.verify(&key).map_err(|e| e.to_string())?;
    Ok(parsed.key_id.clone())
}

async fn inbox(
    State(state): State<Arc<PeerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let verified = verify_request(&state, &method, &path, &headers, &body).await;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.received.lock().unwrap().push(Received {
        path,
        body,
        verified: verified.clone(),
    });
    if verified.is_ok() {
        StatusCode::ACCEPTED.into_response()
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}
