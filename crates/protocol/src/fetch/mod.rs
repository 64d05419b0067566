//! An SSRF-safe HTTP client for remote actor documents and activity deliveries.
//!
//! Every URL pkgfed fetches comes from someone else (actor ids, key ids, inboxes,
//! redirect targets), so the fetcher treats each as hostile:
//!
//! - only `http` and `https`;
//! - no loopback, private, link-local or otherwise internal addresses, checked
//!   on the addresses the connection actually uses (safe against DNS
//!   rebinding, see `resolver`) and on IP-literal hosts, on every redirect hop;
//! - redirects are followed by hand, so each hop is re-checked and re-signed;
//! - connect timeout, a total deadline over the whole redirect chain and body,
//!   and a hard cap on the body size;
//! - no proxies: a proxy would resolve names itself, beyond our checks.
//!
//! Non-2xx statuses are returned, not turned into errors: the caller knows
//! whether a 410 means "actor deleted" or "try later".
//!
//! # Layout
//! - `address`: which IP addresses are forbidden ([`is_forbidden_address`]).
//! - `policy`: the per-hop URL checks and redirect handling.
//! - `resolver`: the DNS resolver that refuses forbidden answers.
//! - `error`: [`FetchError`].

mod address;
mod error;
mod policy;
mod resolver;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, CONTENT_LENGTH, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

pub use address::is_forbidden_address;
pub use error::FetchError;

use policy::{check_target, is_followed_redirect, redirect_location};
use resolver::{GuardedResolver, classify};

/// How the [`Fetcher`] behaves. [`Default`] is right for production.
#[derive(Clone, Debug)]
pub struct FetchConfig {
    /// DANGER: only for local testing. Allows loopback/private targets.
    ///
    /// Turns off every address check (IP literals and DNS answers), so any URL a
    /// remote server sends us can reach internal services. The other checks
    /// (scheme, timeouts, size cap, redirect limit) still apply.
    pub allow_private_addresses: bool,
    /// How long establishing a connection (including TLS) may take.
    pub connect_timeout: Duration,
    /// Deadline for a whole fetch: every redirect hop and the body read.
    pub timeout: Duration,
    /// The largest response body accepted; bigger ones fail with
    /// [`FetchError::TooLarge`] without being read to the end.
    pub max_body_bytes: usize,
    /// How many redirects a GET follows before failing with
    /// [`FetchError::TooManyRedirects`].
    pub max_redirects: usize,
    /// Sent as `User-Agent` on every request; some servers block empty ones.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_body_bytes: 1024 * 1024,
            max_redirects: 3,
            user_agent: concat!("pkgfed/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Signs outgoing requests (HTTP signatures). Implemented by the application
/// with the sending actor's key.
pub trait RequestSigner: Send + Sync {
    /// Adds signature headers for this exact request (called again for every redirect hop).
    ///
    /// `headers` already holds what will be sent: `Accept` and `User-Agent` for
    /// a GET, the caller's headers plus `User-Agent` for a POST. `Host` is not
    /// in the map: the HTTP layer derives it from `url` (host, plus the port
    /// when it is not the scheme's default), and a signer covering `host`
    /// should compute it the same way.
    fn sign(
        &self,
        method: &Method,
        url: &Url,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<(), crate::Error>;
}

/// A complete response, whatever its status.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The URL that answered: the final one after redirects.
    pub url: Url,
    /// The response status; not checked by the fetcher.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body, at most `max_body_bytes` long.
    pub body: Vec<u8>,
}

/// The fetcher. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: FetchConfig,
    /// Validated once here so a bad configured value fails at startup.
    user_agent: HeaderValue,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// Builds the fetcher and its HTTP client.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            FetchError::Http(format!(
                "user agent `{}` is not a valid header value; use printable ASCII",
                config.user_agent
            ))
        })?;
        if config.allow_private_addresses {
            tracing::warn!(
                "FetchConfig::allow_private_addresses is ON: remote URLs may reach loopback, \
                 private and cloud-metadata addresses. Use this only for local testing."
            );
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver {
                allow_private_addresses: config.allow_private_addresses,
            })
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|error| {
                FetchError::Http(format!("could not build the HTTP client: {error}"))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                user_agent,
            }),
        })
    }

    /// The configuration this fetcher was built with.
    pub fn config(&self) -> &FetchConfig {
        &self.inner.config
    }

    /// GET following redirects manually (each hop re-checked and re-signed); returns any final status (caller decides), error only for transport/policy failures.
    ///
    /// `accept` is sent as the `Accept` header, e.g.
    /// `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`.
    pub async fn get(
        &self,
        url: &Url,
        accept: &str,
        signer: Option<&dyn RequestSigner>,
    ) -> Result<Fetched, FetchError> {
        let accept = HeaderValue::from_str(accept)
            .map_err(|_| FetchError::Http(format!("`{accept}` is not a valid Accept header")))?;
        self.within_deadline(self.get_following_redirects(url.clone(), accept, signer))
            .await
    }

    /// POST without following redirects.
    ///
    /// `headers` (e.g. `Content-Type`) are present when the signer runs; a
    /// redirect status is returned as the response.
    pub async fn post(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: Vec<u8>,
        signer: Option<&dyn RequestSigner>,
    ) -> Result<Fetched, FetchError> {
        self.within_deadline(async {
            let response = self
                .send(Method::POST, url, headers, Some(body), signer)
                .await?;
            self.read_response(url.clone(), response).await
        })
        .await
    }

    async fn within_deadline<T>(
        &self,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        tokio::time::timeout(self.inner.config.timeout, work)
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    async fn get_following_redirects(
        &self,
        mut current: Url,
        accept: HeaderValue,
        signer: Option<&dyn RequestSigner>,
    ) -> Result<Fetched, FetchError> {
        let mut followed = 0;
        loop {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, accept.clone());
            let response = self
                .send(Method::GET, &current, headers, None, signer)
                .await?;
            if is_followed_redirect(response.status())
                && let Some(next) = redirect_location(&current, response.headers())?
            {
                if followed == self.inner.config.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        limit: self.inner.config.max_redirects,
                    });
                }
                followed += 1;
                tracing::debug!(from = %current, to = %next, status = %response.status(), "following redirect");
                current = next;
                continue;
            }
            return self.read_response(current, response).await;
        }
    }

    /// One hop: policy check, our headers, signature, send.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        mut headers: HeaderMap,
        body: Option<Vec<u8>>,
        signer: Option<&dyn RequestSigner>,
    ) -> Result<reqwest::Response, FetchError> {
        check_target(url, self.inner.config.allow_private_addresses)?;
        headers.insert(USER_AGENT, self.inner.user_agent.clone());
        if let Some(signer) = signer {
            signer
                .sign(&method, url, &mut headers, body.as_deref())
                .map_err(|error| FetchError::Signing(error.to_string()))?;
        }
        let mut request = self
            .inner
            .client
            .request(method, url.clone())
            .headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        request.send().await.map_err(classify)
    }

    /// Reads the body under the size cap, stopping as soon as it is exceeded.
    async fn read_response(
        &self,
        url: Url,
        mut response: reqwest::Response,
    ) -> Result<Fetched, FetchError> {
        let limit = self.inner.config.max_body_bytes;
        let too_large = FetchError::TooLarge { limit };
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url,
            status: response.status(),
            headers: response.headers().clone(),
            body,
        })
    }
}
