//! Signed POSTs of activities as a package actor.

use http::{HeaderMap, HeaderValue, header};
use pkgfed_protocol::fetch::Fetched;
use pkgfed_protocol::keys::RsaPrivateKey;
use url::Url;

use crate::app::{ActorSigner, AppState};
use crate::error::{Error, Result};

/// POSTs `body` to `inbox`, signed draft-cavage `rsa-sha256` over
/// `(request-target) host date digest` with the sender's key.
pub async fn post_activity(
    state: &AppState,
    inbox: &str,
    body: Vec<u8>,
    key: RsaPrivateKey,
    key_id: String,
) -> Result<Fetched> {
    let url = Url::parse(inbox)
        .map_err(|e| Error::BadRequest(format!("inbox `{inbox}` is not a URL: {e}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    let signer = ActorSigner {
        key: std::sync::Arc::new(key),
        key_id,
    };
    state
        .fetcher
        .post(&url, headers, body, Some(&signer))
        .await
        .map_err(|e| Error::Internal(format!("POST {inbox} failed: {e}")))
}
