//! One delivery attempt: sign, POST, and — when the host refuses draft-cavage with
//! 401 — knock again with RFC 9421 (or the other way round for hosts known to
//! prefer RFC 9421). The scheme that worked is remembered per host.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, header};
use pkgfed_protocol::fetch::{FetchError, RequestSigner};
use pkgfed_protocol::keys::RsaPrivateKey;
use url::Url;

use super::Outbound;
use crate::signing::{ActorSigner, Rfc9421Signer};
use crate::store::delivery::ClaimedDelivery;

/// Stored names of the signature schemes.
pub const CAVAGE: &str = "cavage";
/// RFC 9421.
pub const RFC9421: &str = "rfc9421";

/// What came back.
#[derive(Debug)]
pub struct AttemptResult {
    /// The response status and headers, or the transport/policy error.
    pub response: Result<(u16, HeaderMap), FetchError>,
    /// The scheme of the last request sent.
    pub scheme: &'static str,
}

async fn post(
    state: &Outbound,
    url: &Url,
    body: &[u8],
    signer: &dyn RequestSigner,
) -> Result<(u16, HeaderMap), FetchError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    let res = state
        .fetcher
        .post(url, headers, body.to_vec(), Some(signer))
        .await?;
    Ok((res.status.as_u16(), res.headers))
}

/// Delivers once (twice when double-knocking).
pub async fn attempt(
    state: &Outbound,
    d: &ClaimedDelivery,
    key: Arc<RsaPrivateKey>,
) -> AttemptResult {
    let url = match Url::parse(&d.inbox) {
        Ok(u) => u,
        Err(e) => {
            return AttemptResult {
                response: Err(FetchError::InvalidUrl {
                    reason: format!("inbox `{}`: {e}", d.inbox),
                }),
                scheme: CAVAGE,
            };
        }
    };
    let key_id = format!("{}#main-key", d.actor_id);
    let cavage = ActorSigner {
        key: key.clone(),
        key_id: key_id.clone(),
    };
    let rfc9421 = Rfc9421Signer { key, key_id };
    let order: [(&'static str, &dyn RequestSigner); 2] = if d.scheme.as_deref() == Some(RFC9421) {
        [(RFC9421, &rfc9421), (CAVAGE, &cavage)]
    } else {
        [(CAVAGE, &cavage), (RFC9421, &rfc9421)]
    };
    let body = d.activity.as_bytes();
    let first = post(state, &url, body, order[0].1).await;
    if matches!(first, Ok((401, _))) {
        tracing::debug!(inbox = %d.inbox, "401 with {}; knocking again with {}", order[0].0, order[1].0);
        let second = post(state, &url, body, order[1].1).await;
        return AttemptResult {
            response: second,
            scheme: order[1].0,
        };
    }
    AttemptResult {
        response: first,
        scheme: order[0].0,
    }
}
