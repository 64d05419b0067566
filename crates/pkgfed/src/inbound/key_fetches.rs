//! One fetch per key at a time: requests signed with a key pkgfed does not hold yet
//! (a new follower's first burst, a busy server after its key was rotated) wait for
//! the fetch already under way instead of each asking the remote server again.
//!
//! A waiter gets the same answer as the fetch it waited for, failure included, and so
//! does a request for a key not cached yet arriving up to [`MEMO`] after it ended
//! (not one whose cached key failed: that needs a newer answer): the answer reaches the key
//! cache only once a request verified with it (see [`super::signer`]), which takes a
//! moment after the fetch. When the request doing the fetch is cancelled (its client
//! went away), a waiter takes over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use super::Inbound;
use super::error::{InboundError, Result};
use super::signer::{self, Signer};

/// How long a fetch's answer is shared after the fetch began.
pub const MEMO: Duration = Duration::from_secs(10);

/// Entries kept before the expired ones are dropped.
const PRUNE_AT: usize = 1024;

/// The key fetches in flight or just done, by key id. Shared by the process's
/// requests.
#[derive(Default)]
pub struct KeyFetches {
    fetches: Mutex<HashMap<String, (Instant, Arc<Fetch>)>>,
}

/// One fetch's answer: the signer, or the refusal's reason.
type Fetch = OnceCell<std::result::Result<Signer, String>>;

/// How much of an earlier fetch a request may share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// One under way or done within [`MEMO`] (a key pkgfed has not cached).
    Recent,
    /// Only one still under way: the cached key did not verify, so the answer must
    /// be newer than that (the actor may have rotated its key).
    InFlight,
}

/// Fetches `key_id`'s signer, sharing a fetch as `share` allows.
pub async fn fetch(state: &Inbound, key_id: &str, share: Share) -> Result<Signer> {
    let cell = {
        let Ok(mut map) = state.key_fetches.fetches.lock() else {
            return signer::fetch(state, key_id).await;
        };
        let now = Instant::now();
        if map.len() >= PRUNE_AT {
            map.retain(|_, (at, _)| now.duration_since(*at) < MEMO);
        }
        match map.get(key_id) {
            Some((at, cell))
                if now.duration_since(*at) < MEMO
                    && (share == Share::Recent || !cell.initialized()) =>
            {
                cell.clone()
            }
            _ => {
                let cell = Arc::new(Fetch::new());
                map.insert(key_id.to_owned(), (now, cell.clone()));
                cell
            }
        }
    };
    cell.get_or_init(|| async {
        signer::fetch(state, key_id).await.map_err(|e| match e {
            InboundError::Unauthorized(reason) => reason,
            other => other.to_string(),
        })
    })
    .await
    .clone()
    .map_err(InboundError::Unauthorized)
}
