//! The admin API over HTTP: URLs under the server's `/api/v1/admin/`, the bearer
//! token, errors that say what to do (server not running, token refused), and the
//! event stream.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::config::Config;
use crate::web::admin::PREFIX;

/// The admin API over HTTP.
pub(super) struct Client {
    http: reqwest::Client,
    /// `…/api/v1/admin/` of the server.
    base: Url,
    token: String,
}

impl Client {
    pub(super) fn new(config: &Config, url: Option<&str>, token: String) -> anyhow::Result<Self> {
        let server = match url {
            Some(u) => u.trim().to_owned(),
            None => default_url(&config.server.listen)?,
        };
        let mut base = Url::parse(&server).with_context(|| {
            format!("--url `{server}` is not a URL (e.g. http://127.0.0.1:8080)")
        })?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let base = base.join(&format!("{}/", PREFIX.trim_start_matches('/')))?;
        let http = reqwest::Client::builder()
            // The admin API is reached directly, usually on loopback.
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self { http, base, token })
    }

    async fn send(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
    ) -> anyhow::Result<Response> {
        self.send_with(method, path, query, None).await
    }

    /// [`Client::send`] with an optional JSON body.
    async fn send_with(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> anyhow::Result<Response> {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        for (k, v) in query.iter().filter(|(_, v)| !v.is_empty()) {
            url.query_pairs_mut().append_pair(k, v);
        }
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body)?);
        }
        let response = request.send().await.map_err(|e| {
            let origin = url.origin().ascii_serialization();
            if e.is_connect() {
                anyhow::anyhow!(
                    "cannot reach the admin API at {origin}: is `pkgfed serve` running there? \
                         (pass --url if it listens elsewhere) ({e})"
                )
            } else {
                anyhow::anyhow!("request to {origin} failed: {e}")
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or(body);
        if status == StatusCode::UNAUTHORIZED {
            bail!(
                "the server refused the admin token ({message}); pass --token, set PKGFED_ADMIN_TOKEN, \
                 or run this with the server's configuration and database"
            );
        }
        bail!("the server answered {status}: {message}");
    }

    pub(super) async fn json(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
    ) -> anyhow::Result<Value> {
        self.json_with(method, path, query, None).await
    }

    /// POSTs (or `method`s) `body` as JSON and reads the JSON answer.
    pub(super) async fn json_body(
        &self,
        method: Method,
        path: &[&str],
        body: &Value,
    ) -> anyhow::Result<Value> {
        self.json_with(method, path, &[], Some(body)).await
    }

    async fn json_with(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let response = tokio::time::timeout(Duration::from_secs(60), async {
            let r = self.send_with(method, path, query, body).await?;
            anyhow::Ok(r.text().await?)
        })
        .await
        .context("the admin API did not answer within 60 s")??;
        serde_json::from_str(&response).context("the admin API answered with invalid JSON")
    }

    /// Prints events as they arrive until Ctrl-C or the server ends the stream.
    pub(super) async fn events(&self, json: bool) -> anyhow::Result<()> {
        let mut response = self.send(Method::GET, &["events"], &[]).await?;
        // Installed before saying so, so an immediate Ctrl-C still exits cleanly.
        let mut interrupted = std::pin::pin!(interrupted()?);
        eprintln!("streaming events; Ctrl-C to stop");
        let mut parser = super::print::SseParser::default();
        loop {
            let chunk = tokio::select! {
                () = &mut interrupted => return Ok(()),
                chunk = response.chunk() => chunk.context("the event stream broke")?,
            };
            let Some(chunk) = chunk else {
                eprintln!("the server closed the event stream");
                return Ok(());
            };
            for message in parser.feed(&chunk) {
                super::print::event(json, &message);
            }
        }
    }
}

/// Resolves on Ctrl-C (SIGINT); the handler is in place when this returns.
#[cfg(unix)]
fn interrupted() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigint = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
    Ok(async move {
        sigint.recv().await;
    })
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
fn interrupted() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// `http://<server.listen>`, with an unspecified address (0.0.0.0, ::) replaced by
/// loopback.
pub(in crate::cli) fn default_url(listen: &str) -> anyhow::Result<String> {
    let mut addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("server.listen `{listen}` is not an address:port; pass --url"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(format!("http://{addr}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn default_url_uses_loopback_for_unspecified_addresses() {
        assert_eq!(
            default_url("0.0.0.0:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(default_url("[::]:80").unwrap(), "http://[::1]:80");
        assert_eq!(
            default_url("192.0.2.1:8080").unwrap(),
            "http://192.0.2.1:8080"
        );
        assert!(default_url("localhost").is_err());
    }

    #[test]
    fn urls_are_built_under_the_prefix_with_escaped_segments() {
        let c = Client::new(&Config::default(), Some("http://127.0.0.1:9/"), "t".into()).unwrap();
        assert_eq!(c.base.as_str(), "http://127.0.0.1:9/api/v1/admin/");
        let c = Client::new(&Config::default(), Some("http://h:9/sub"), "t".into()).unwrap();
        assert_eq!(c.base.as_str(), "http://h:9/sub/api/v1/admin/");
    }
}
