//! A minimal follower peer on loopback: one actor, `bench`, whose document
//! publishes the RSA-2048 key the benchmark signs with. pkgfed fetches it once to
//! verify the first signature and caches the key; the fetch count shows that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;

struct PeerState {
    doc: String,
    fetches: AtomicU64,
}

/// The running peer.
pub struct Peer {
    /// `http://127.0.0.1:port`
    pub base: String,
    state: Arc<PeerState>,
}

impl Peer {
    /// Serves the actor document of `bench` with `public_key_pem`.
    pub async fn start(public_key_pem: &str) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind the peer")?;
        let base = format!("http://{}", listener.local_addr()?);
        let id = format!("{base}/users/bench");
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": "bench",
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "endpoints": { "sharedInbox": format!("{base}/inbox") },
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_key_pem },
        })
        .to_string();
        let state = Arc::new(PeerState {
            doc,
            fetches: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/users/bench", get(actor))
            .with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { base, state })
    }

    /// The actor id.
    pub fn actor(&self) -> String {
        format!("{}/users/bench", self.base)
    }

    /// The key id signatures name.
    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.actor())
    }

    /// How many times the actor document was fetched.
    pub fn fetches(&self) -> u64 {
        self.state.fetches.load(Ordering::Relaxed)
    }
}

async fn actor(State(state): State<Arc<PeerState>>) -> impl IntoResponse {
    state.fetches.fetch_add(1, Ordering::Relaxed);
    (
        [("content-type", "application/activity+json")],
        state.doc.clone(),
    )
}
