//! The HTTP layer every adapter shares: one client per adapter, every request
//! through the registry's [`RateLimiter`], conditional GETs from [`Validators`], and
//! one mapping from HTTP outcomes to [`RegistryError`].
//!
//! | answer | result |
//! |---|---|
//! | 304 | [`Fetched::NotModified`], body not read |
//! | 200 | [`Fetched::Body`] with the new validators (body capped) |
//! | 404, 410 | [`RegistryError::NotFound`] |
//! | 429 | [`RegistryError::RateLimited`]; the limiter backs off (`Retry-After` or 60 s) |
//! | 5xx, connect/timeout errors | [`RegistryError::Unavailable`]; the limiter backs off |
//! | anything else | [`RegistryError::Malformed`] |
//!
//! `post_json` (the OSV query API's POSTs) maps statuses the same way, without
//! 304.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use url::Url;

use crate::RateLimiter;
use crate::adapter::{RegistryError, Validators};

/// How an adapter talks HTTP; part of every adapter's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpSettings {
    /// The `User-Agent` sent with every request. Registries ask for one that names
    /// the software and a way to reach its operator.
    pub user_agent: String,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for a whole request, body included.
    pub timeout: Duration,
    /// Largest response body accepted; larger ones are [`RegistryError::Malformed`].
    /// npm packuments of long-lived packages run to tens of megabytes.
    pub max_body_bytes: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            user_agent: concat!("pkgfed/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_body_bytes: 32 * 1024 * 1024,
        }
    }
}

/// What a GET returned when it did not fail.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 304: the validators still hold.
    NotModified,
    /// 200 with its body and validators.
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// A client bound to one registry's limiter.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    limiter: Arc<RateLimiter>,
    max_body_bytes: usize,
}

impl HttpClient {
    pub(crate) fn new(
        settings: &HttpSettings,
        limiter: Arc<RateLimiter>,
    ) -> Result<Self, super::ConfigError> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .build()
            .map_err(|e| super::ConfigError(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            limiter,
            max_body_bytes: settings.max_body_bytes,
        })
    }

    /// The same client with another limiter (for a second API of one registry).
    pub(crate) fn with_limiter(&self, limiter: Arc<RateLimiter>) -> Self {
        HttpClient {
            limiter,
            ..self.clone()
        }
    }

    /// GETs `url`, conditionally when `validators` hold any. `name` is the package
    /// named in a [`RegistryError::NotFound`].
    pub(crate) async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        accept: &str,
        name: &str,
    ) -> Result<Fetched, RegistryError> {
        let mut request = self.client.get(url.clone()).header(ACCEPT, accept);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(date) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, date);
        }
        let response = self.send("GET", url, request).await?;
        let status = response.status();
        match status {
            StatusCode::NOT_MODIFIED => {
                self.limiter.record_success();
                Ok(Fetched::NotModified)
            }
            StatusCode::OK => {
                let validators = validators_of(response.headers());
                let bytes = self.read_body(response, url).await?;
                self.limiter.record_success();
                Ok(Fetched::Body { bytes, validators })
            }
            _ => Err(self.refusal("GET", url, &response, name, "200, 304 or 404")),
        }
    }

    /// POSTs `body` as JSON and returns the body of the 200 answer. Statuses map
    /// as for [`HttpClient::get`] (there is no 304: POSTs are not conditional).
    /// `name` is what a [`RegistryError::NotFound`] names.
    pub(crate) async fn post_json(
        &self,
        url: &Url,
        body: &serde_json::Value,
        name: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let bytes = serde_json::to_vec(body).map_err(|e| RegistryError::Malformed {
            reason: format!("POST {url}: cannot encode the request body: {e}"),
        })?;
        let request = self
            .client
            .post(url.clone())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(bytes);
        let response = self.send("POST", url, request).await?;
        let status = response.status();
        match status {
            StatusCode::OK => {
                let bytes = self.read_body(response, url).await?;
                self.limiter.record_success();
                Ok(bytes)
            }
            _ => Err(self.refusal("POST", url, &response, name, "200")),
        }
    }

    /// Sends `request` once the registry's limiter lets it through; a connection
    /// error or timeout is the registry being unavailable (and backs it off).
    async fn send(
        &self,
        method: &str,
        url: &Url,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, RegistryError> {
        self.limiter.acquire().await;
        let sent = request.send().await;
        self.limiter
            .count_response(sent.as_ref().ok().map(|r| r.status().as_u16()));
        sent.map_err(|e| {
            self.limiter.record_failure(None);
            RegistryError::Unavailable {
                status: None,
                reason: format!("{method} {url}: {}", describe(&e)),
                retry_after: None,
            }
        })
    }

    /// The error for an answer other than the expected ones, with what it means for
    /// the registry's limiter: 404/410 is a clean "no such package", 429 and 5xx
    /// back the registry off (`Retry-After` honoured), anything else is unusable.
    fn refusal(
        &self,
        method: &str,
        url: &Url,
        response: &reqwest::Response,
        name: &str,
        expected: &str,
    ) -> RegistryError {
        match response.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                self.limiter.record_success();
                RegistryError::NotFound {
                    name: name.to_owned(),
                }
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = retry_after(response.headers());
                self.limiter.record_rate_limited(retry_after);
                RegistryError::RateLimited { retry_after }
            }
            s if s.is_server_error() => {
                let retry_after = retry_after(response.headers());
                self.limiter.record_failure(retry_after);
                RegistryError::Unavailable {
                    status: Some(s.as_u16()),
                    reason: format!("{method} {url} answered {s}"),
                    retry_after,
                }
            }
            s => {
                self.limiter.record_error();
                RegistryError::Malformed {
                    reason: format!("{method} {url} answered {s}, expected {expected}"),
                }
            }
        }
    }

    /// Reads the body up to the cap.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, RegistryError> {
        let too_large = || RegistryError::Malformed {
            reason: format!(
                "GET {url}: the body is larger than the limit of {} bytes (http.max_body_bytes)",
                self.max_body_bytes
            ),
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body_bytes as u64)
        {
            self.limiter.record_error();
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body_bytes {
                        self.limiter.record_error();
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    self.limiter.record_failure(None);
                    return Err(RegistryError::Unavailable {
                        status: Some(200),
                        reason: format!("GET {url}: reading the body failed: {}", describe(&e)),
                        retry_after: None,
                    });
                }
            }
        }
    }
}

/// The error and its causes on one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}

fn validators_of(headers: &HeaderMap) -> Validators {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    Validators {
        etag: text(ETAG),
        last_modified: text(LAST_MODIFIED),
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
