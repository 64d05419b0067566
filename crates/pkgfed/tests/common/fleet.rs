//! A fleet of loopback inbox servers: each its own port (so its own host for pkgfed's
//! per-host state), each with a [`Behaviour`] switchable at runtime. Every POST is
//! recorded with its signature verified against the signer's actor document (fetched
//! from pkgfed once per key id), so a test can assert both what arrived and that it
//! was signed.
//!
//! The HTTP/1.1 server is hand-rolled on purpose: it must be able to hang, or to read
//! a request and drop the connection without answering, which a framework hides.
//! Every response carries `Connection: close`, so each delivery is its own
//! connection and a dropped one never poisons a pooled one.
//!
//! Hosts also serve actor documents (`GET /users/{name}`, all users sharing one test
//! key) and can POST signed activities as those users, so a fleet host can follow a
//! package or prove to pkgfed that it is alive.

mod verify;
mod wire;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, Method};
use pkgfed::store::NewFollower;
use pkgfed_protocol::signatures::{self, Scheme};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

use verify::{KeyCache, verify};
use wire::{Request, read_request, respond};

/// How a host answers POSTs (GETs of actor documents always work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// 202 Accepted.
    Ok,
    /// This status, empty body.
    Status(u16),
    /// This status with a `Retry-After` header.
    RetryAfter(u16, String),
    /// Never answers (until the client gives up).
    Hang,
    /// Reads the request, then drops the connection without a response.
    Close,
    /// 202 for a request with a valid RFC 9421 signature, 401 for anything else.
    Rfc9421Only,
}

/// What a host did with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Answered with this status.
    Status(u16),
    /// Hung.
    Hung,
    /// Dropped the connection.
    Closed,
}

/// One POST as a fleet host received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// `127.0.0.1:port` of the host.
    pub host: String,
    /// Request target as sent.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Ok(key id) when the signature verified against the signer's published key.
    pub verified: Result<String, String>,
    /// The signature scheme, when a signature parsed.
    pub scheme: Option<Scheme>,
    pub answer: Answer,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The activity's `id`.
    pub fn id(&self) -> String {
        self.json()["id"].as_str().unwrap_or_default().to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Shared by every host of a fleet.
struct Shared {
    client: reqwest::Client,
    keys: KeyCache,
    user_key_pem: String,
}

struct HostState {
    host: String,
    base: String,
    behaviour: Mutex<Behaviour>,
    /// Applied before answering (after recording), to slow a fan-out down.
    delay: Mutex<Duration>,
    /// Users whose actor document has no sharedInbox.
    unshared: Mutex<HashSet<String>>,
    received: Mutex<Vec<Received>>,
    /// POSTs being answered now, and the most seen at once (per-host limits).
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    shared: Arc<Shared>,
}

/// One inbox server.
#[derive(Clone)]
pub struct FleetHost {
    /// `http://127.0.0.1:port`
    pub base: String,
    /// `127.0.0.1:port`, as pkgfed names the host.
    pub host: String,
    state: Arc<HostState>,
}

/// Many inbox servers.
pub struct Fleet {
    pub hosts: Vec<FleetHost>,
}

impl Fleet {
    /// `n` hosts, all answering 202.
    pub async fn start(n: usize) -> Self {
        let shared = Arc::new(Shared {
            client: reqwest::Client::new(),
            keys: KeyCache::default(),
            user_key_pem: super::shared_rsa().public_key_pem(),
        });
        let mut hosts = Vec::with_capacity(n);
        for _ in 0..n {
            hosts.push(FleetHost::start(shared.clone()).await);
        }
        Self { hosts }
    }

    pub fn host(&self, i: usize) -> &FleetHost {
        &self.hosts[i]
    }

    /// Every POST received by any host.
    pub fn received(&self) -> Vec<Received> {
        self.hosts.iter().flat_map(FleetHost::received).collect()
    }

    pub fn set_delay(&self, d: Duration) {
        for h in &self.hosts {
            h.set_delay(d);
        }
    }
}

impl FleetHost {
    async fn start(shared: Arc<Shared>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(HostState {
            base: format!("http://{host}"),
            host: host.clone(),
            behaviour: Mutex::new(Behaviour::Ok),
            delay: Mutex::default(),
            unshared: Mutex::default(),
            received: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            shared,
        });
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve_connection(sock, s.clone()));
            }
        });
        Self {
            base: state.base.clone(),
            host,
            state,
        }
    }

    pub fn set(&self, b: Behaviour) {
        *self.state.behaviour.lock().unwrap() = b;
    }

    pub fn set_delay(&self, d: Duration) {
        *self.state.delay.lock().unwrap() = d;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// The most POSTs this host was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn clear(&self) {
        self.state.received.lock().unwrap().clear();
    }

    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    pub fn inbox(&self, name: &str) -> String {
        format!("{}/inbox", self.actor(name))
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// From now on `name`'s actor document has no sharedInbox.
    pub fn without_shared_inbox(&self, name: &str) {
        self.state.unshared.lock().unwrap().insert(name.into());
    }

    /// A follower record for `name`, with or without the host's shared inbox.
    pub fn follower(&self, name: &str, shared: bool) -> NewFollower {
        NewFollower {
            actor_id: self.actor(name),
            inbox: self.inbox(name),
            shared_inbox: shared.then(|| self.shared_inbox()),
            follow_id: format!("{}/follows/1", self.actor(name)),
        }
    }

    /// A Follow from `name` of `object`.
    pub fn follow(&self, name: &str, object: &str) -> Value {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{}", self.actor(name), uuid::Uuid::now_v7()),
            "type": "Follow",
            "actor": self.actor(name),
            "object": object,
        })
    }

    /// POSTs `activity` to `url`, signed (draft-cavage) as `name`; returns the status.
    pub async fn post_as(&self, name: &str, url: &str, activity: &Value) -> u16 {
        let body = serde_json::to_vec(activity).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/activity+json".parse().unwrap());
        signatures::sign_cavage(
            &Method::POST,
            &url::Url::parse(url).unwrap(),
            &mut headers,
            Some(&body),
            &format!("{}#main-key", self.actor(name)),
            super::shared_rsa(),
        )
        .unwrap();
        let res = self
            .state
            .shared
            .client
            .post(url)
            .headers(headers)
            .body(body);
        res.send().await.unwrap().status().as_u16()
    }
}

async fn serve_connection(mut sock: TcpStream, state: Arc<HostState>) {
    let Ok(Ok(Some(req))) =
        tokio::time::timeout(Duration::from_secs(10), read_request(&mut sock)).await
    else {
        return;
    };
    if req.method == Method::GET {
        let (status, body) = actor_document(&state, &req.target);
        respond(&mut sock, status, None, &body).await;
        return;
    }
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    answer_post(&mut sock, &state, req).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
}

async fn answer_post(sock: &mut TcpStream, state: &HostState, req: Request) {
    let (verified, scheme) = verify(&state.shared.client, &state.shared.keys, &req).await;
    let behaviour = state.behaviour.lock().unwrap().clone();
    let answer = match &behaviour {
        Behaviour::Ok => Answer::Status(202),
        Behaviour::Status(s) | Behaviour::RetryAfter(s, _) => Answer::Status(*s),
        Behaviour::Hang => Answer::Hung,
        Behaviour::Close => Answer::Closed,
        Behaviour::Rfc9421Only if verified.is_ok() && scheme == Some(Scheme::Rfc9421) => {
            Answer::Status(202)
        }
        Behaviour::Rfc9421Only => Answer::Status(401),
    };
    state.received.lock().unwrap().push(Received {
        host: state.host.clone(),
        path: req.target,
        headers: req.headers,
        body: req.body,
        verified,
        scheme,
        answer: answer.clone(),
    });
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match answer {
        Answer::Status(s) => {
            let retry_after = match &behaviour {
                Behaviour::RetryAfter(_, v) => Some(v.as_str()),
                _ => None,
            };
            respond(sock, s, retry_after, b"").await;
        }
        // Until the client gives up and closes (bounded, in case it never does).
        Answer::Hung => {
            let mut byte = [0u8; 1];
            let _ = tokio::time::timeout(Duration::from_secs(60), sock.read(&mut byte)).await;
        }
        // Unanswered: the caller drops the connection.
        Answer::Closed => {}
    }
}

fn actor_document(state: &HostState, target: &str) -> (u16, Vec<u8>) {
    let Some(name) = target
        .strip_prefix("/users/")
        .filter(|n| !n.is_empty() && !n.contains('/'))
    else {
        return (404, Vec::new());
    };
    let id = format!("{}/users/{name}", state.base);
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": state.shared.user_key_pem },
    });
    if !state.unshared.lock().unwrap().contains(name) {
        doc["endpoints"] = json!({ "sharedInbox": format!("{}/inbox", state.base) });
    }
    (200, doc.to_string().into_bytes())
}
