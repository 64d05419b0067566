//! `pkgfed admin …`: the admin API (`/api/v1/admin`) from the command line.
//!
//! Every subcommand but `token` talks HTTP to the running server, so it sees what the
//! server sees. The server is at `--url`, else `http://<server.listen>`; the token is
//! `--token`, else `admin.token` (`PKGFED_ADMIN_TOKEN`), else the one the server
//! generated in the database. Output is a table, or the API's JSON with `--json`.

mod print;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::config::Config;
use crate::store;
use crate::web::admin::PREFIX;
use crate::web::admin::auth::load_or_create_token;

/// `pkgfed admin [--url URL] [--token TOKEN] [--json] <command>`
#[derive(Args)]
pub struct AdminArgs {
    /// Where the server listens, e.g. http://127.0.0.1:8080 (default: http://<server.listen>).
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// Admin token (default: admin.token / PKGFED_ADMIN_TOKEN, else the one stored in the
    /// database). Prefer those: a command-line argument is visible to other local users.
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to show or do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

impl fmt::Debug for AdminArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminArgs")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("json", &self.json)
            .field("command", &self.command)
            .finish()
    }
}

/// `pkgfed admin …` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print the admin API token (admin.token, else the database's; generated there
    /// when missing, as `pkgfed serve` would).
    Token,
    /// An outbound activity's status, one row per recipient.
    ActivityStatus {
        /// The activity id (a URL).
        id: String,
    },
    /// Deliveries that failed for good or were skipped, newest first.
    Failures {
        /// Only deliveries signed by this actor: its id (URL), or a purl or handle.
        #[arg(long)]
        actor: Option<String>,
        /// At most this many (1–500; server default 50).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Followers that are gone (host unavailable, or inbox answered 404/410).
    DeadFollowers {
        /// Only followers of this package (purl or handle).
        #[arg(long)]
        package: Option<String>,
    },
    /// Remove the dead followers.
    CleanupDeadFollowers {
        /// Only followers of this package (purl or handle).
        #[arg(long)]
        package: Option<String>,
        /// Show what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Domains flagged for review after repeated 403s.
    FlaggedDomains,
    /// Clear a domain's flag.
    ClearFlaggedDomain {
        /// The domain as listed by `flagged-domains`.
        domain: String,
    },
    /// Hosts delivered to, with their circuit-breaker state.
    Hosts,
    /// Registry watcher health: tracked packages, backlog, errors, last success.
    Registries,
    /// Stream live events until Ctrl-C.
    Events,
}

/// Runs an admin subcommand.
pub async fn run(config: Config, args: AdminArgs) -> anyhow::Result<()> {
    if let AdminCommand::Token = args.command {
        println!("{}", stored_token(&config).await?);
        return Ok(());
    }
    let token = match args.token.clone() {
        Some(t) => t,
        None => stored_token(&config).await?,
    };
    let client = Client::new(&config, args.url.as_deref(), token)?;
    let json = args.json;
    let s = |v: Option<&String>| v.map(String::as_str).unwrap_or_default().to_owned();
    match args.command {
        AdminCommand::Token => {}
        AdminCommand::ActivityStatus { id } => {
            let v = client
                .json(Method::GET, &["activities", "status"], &[("id", id)])
                .await?;
            show(json, &v, print::activity);
        }
        AdminCommand::Failures { actor, limit } => {
            let mut q = vec![("actor", s(actor.as_ref()))];
            if let Some(l) = limit {
                q.push(("limit", l.to_string()));
            }
            let v = client
                .json(Method::GET, &["deliveries", "failures"], &q)
                .await?;
            show(json, &v, print::failures);
        }
        AdminCommand::DeadFollowers { package } => {
            let q = [("package", s(package.as_ref()))];
            let v = client.json(Method::GET, &["followers", "dead"], &q).await?;
            show(json, &v, |v| print::dead(&v["dead_followers"]));
        }
        AdminCommand::CleanupDeadFollowers { package, dry_run } => {
            let q = [
                ("package", s(package.as_ref())),
                ("dry_run", dry_run.to_string()),
            ];
            let v = client
                .json(Method::POST, &["followers", "dead", "cleanup"], &q)
                .await?;
            show(json, &v, print::cleanup);
        }
        AdminCommand::FlaggedDomains => {
            let v = client
                .json(Method::GET, &["domains", "flagged"], &[])
                .await?;
            show(json, &v, print::flagged);
        }
        AdminCommand::ClearFlaggedDomain { domain } => {
            let v = client
                .json(Method::DELETE, &["domains", "flagged", &domain], &[])
                .await?;
            show(json, &v, |v| {
                println!("cleared the flag on {}", print::cell(&v["domain"]));
            });
        }
        AdminCommand::Hosts => {
            let v = client.json(Method::GET, &["hosts"], &[]).await?;
            show(json, &v, print::hosts);
        }
        AdminCommand::Registries => {
            let v = client.json(Method::GET, &["registries"], &[]).await?;
            show(json, &v, print::registries);
        }
        AdminCommand::Events => client.events(json).await?,
    }
    Ok(())
}

fn show(json: bool, v: &Value, table: impl FnOnce(&Value)) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        );
    } else {
        table(v);
    }
}

/// The configured token, else the database's (created there if missing: the first
/// writer wins, so this agrees with a server starting on the same database).
async fn stored_token(config: &Config) -> anyhow::Result<String> {
    let store = store::open(&config.storage.database_url).await?;
    Ok(load_or_create_token(&store, &config.admin.token).await?)
}

/// The admin API over HTTP.
struct Client {
    http: reqwest::Client,
    /// `…/api/v1/admin/` of the server.
    base: Url,
    token: String,
}

impl Client {
    fn new(config: &Config, url: Option<&str>, token: String) -> anyhow::Result<Self> {
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
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend(path);
        }
        for (k, v) in query.iter().filter(|(_, v)| !v.is_empty()) {
            url.query_pairs_mut().append_pair(k, v);
        }
        let response = self
            .http
            .request(method, url.clone())
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| {
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

    async fn json(
        &self,
        method: Method,
        path: &[&str],
        query: &[(&str, String)],
    ) -> anyhow::Result<Value> {
        let response = tokio::time::timeout(Duration::from_secs(60), async {
            let r = self.send(method, path, query).await?;
            anyhow::Ok(r.text().await?)
        })
        .await
        .context("the admin API did not answer within 60 s")??;
        serde_json::from_str(&response).context("the admin API answered with invalid JSON")
    }

    /// Prints events as they arrive until Ctrl-C or the server ends the stream.
    async fn events(&self, json: bool) -> anyhow::Result<()> {
        let mut response = self.send(Method::GET, &["events"], &[]).await?;
        // Installed before saying so, so an immediate Ctrl-C still exits cleanly.
        let mut interrupted = std::pin::pin!(interrupted()?);
        eprintln!("streaming events; Ctrl-C to stop");
        let mut parser = print::SseParser::default();
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
                print::event(json, &message);
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
pub(super) fn default_url(listen: &str) -> anyhow::Result<String> {
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
