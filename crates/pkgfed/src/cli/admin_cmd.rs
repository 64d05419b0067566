//! `pkgfed admin …`: the admin API (`/api/v1/admin`) from the command line.
//!
//! Every subcommand but `token` talks HTTP to the running server, so it sees what the
//! server sees. The server is at `--url`, else `http://<server.listen>`; the token is
//! `--token`, else `admin.token` (`PKGFED_ADMIN_TOKEN`), else the one the server
//! generated in the database. Output is a table, or the API's JSON with `--json`.

mod client;
mod jobs;
mod print;

use std::fmt;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::Value;

use crate::config::Config;
use crate::store;
use crate::web::admin::auth::load_or_create_token;
use client::Client;
pub(super) use client::default_url;

/// `pkgfed admin [--url URL] [--token TOKEN] [--json] <command>`
#[derive(Args)]
#[command(
    after_help = "Example:\n  pkgfed admin hosts\n  pkgfed admin --json failures --limit 20\n  pkgfed admin --url http://10.0.0.5:8080 registries"
)]
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
    #[command(after_help = "Example:\n  pkgfed admin token")]
    Token,
    /// An outbound activity's status, one row per recipient.
    #[command(
        after_help = "Example:\n  pkgfed admin activity-status https://pkgs.example.org/packages/cargo.serde/activities/0191…"
    )]
    ActivityStatus {
        /// The activity id (a URL).
        id: String,
    },
    /// Deliveries that failed for good or were skipped, newest first.
    #[command(
        after_help = "Example:\n  pkgfed admin failures --actor pkg:cargo/serde --limit 20\n  pkgfed admin --json failures"
    )]
    Failures {
        /// Only deliveries signed by this actor: its id (URL), or a purl or handle.
        #[arg(long)]
        actor: Option<String>,
        /// At most this many (1–500; server default 50).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Followers that are gone (host unavailable, or inbox answered 404/410).
    #[command(
        after_help = "Example:\n  pkgfed admin dead-followers --package pkg:cargo/serde\n  pkgfed admin --json dead-followers"
    )]
    DeadFollowers {
        /// Only followers of this package (purl or handle).
        #[arg(long)]
        package: Option<String>,
    },
    /// Remove the dead followers.
    #[command(
        after_help = "Example:\n  pkgfed admin cleanup-dead-followers --dry-run\n  pkgfed admin cleanup-dead-followers"
    )]
    CleanupDeadFollowers {
        /// Only followers of this package (purl or handle).
        #[arg(long)]
        package: Option<String>,
        /// Show what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Domains flagged for review after repeated 403s.
    #[command(
        after_help = "Example:\n  pkgfed admin flagged-domains\n  pkgfed admin --json flagged-domains"
    )]
    FlaggedDomains,
    /// Clear a domain's flag.
    #[command(after_help = "Example:\n  pkgfed admin clear-flagged-domain social.example")]
    ClearFlaggedDomain {
        /// The domain as listed by `flagged-domains`.
        domain: String,
    },
    /// Block a domain and its subdomains now (persisted; no restart needed).
    #[command(after_help = "Example:\n  pkgfed admin block spam.example --reason 'spam wave'")]
    Block {
        /// The domain, e.g. spam.example.
        domain: String,
        /// Why (shown by `blocks`).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Remove a run-time domain block.
    #[command(after_help = "Example:\n  pkgfed admin unblock spam.example")]
    Unblock {
        /// The domain as listed by `blocks`.
        domain: String,
    },
    /// Blocked domains (configured and run-time).
    #[command(after_help = "Example:\n  pkgfed admin blocks\n  pkgfed admin --json blocks")]
    Blocks,
    /// Hosts delivered to, with their circuit-breaker state.
    #[command(after_help = "Example:\n  pkgfed admin hosts\n  pkgfed admin --json hosts")]
    Hosts,
    /// Registry watcher health: tracked packages, backlog, errors, last success.
    #[command(after_help = "Example:\n  pkgfed admin registries\n  pkgfed admin --json registries")]
    Registries,
    /// Check every tracked package again now (of one ecosystem, or of every configured
    /// registry) and follow the checks until the backlog is empty. The checks run at
    /// each registry's rate limit; new releases are posted as usual.
    #[command(
        after_help = "Example:\n  pkgfed admin recheck\n  pkgfed admin recheck --ecosystem npm --no-wait"
    )]
    Recheck {
        /// Only this ecosystem (cargo, npm, pypi); it must have a registry configured.
        #[arg(long)]
        ecosystem: Option<String>,
        /// Return once the packages are marked; do not wait for the checks.
        #[arg(long)]
        no_wait: bool,
    },
    /// Stream live events until Ctrl-C.
    #[command(after_help = "Example:\n  pkgfed admin events\n  pkgfed admin --json events | jq .")]
    Events,
    /// Create package actors from a file of purls, one per line (blank lines and
    /// `#` comments skipped). Every line is checked first: any bad line is named and
    /// nothing is imported. Packages already present are skipped.
    #[command(
        after_help = "Example:\n  printf 'pkg:cargo/serde\\npkg:npm/left-pad\\n' > packages.txt\n  pkgfed admin import-packages packages.txt"
    )]
    ImportPackages {
        /// The file (one purl per line).
        file: PathBuf,
    },
}

/// Runs an admin subcommand.
pub async fn run(config: Config, args: AdminArgs) -> anyhow::Result<()> {
    if let AdminCommand::Token = args.command {
        println!("{}", stored_token(&config).await?);
        return Ok(());
    }
    // An import file is checked whole before anything is sent (nothing changes when
    // a line is bad).
    let purls = match &args.command {
        AdminCommand::ImportPackages { file } => {
            jobs::read_purls(file, &config.packages.ecosystems)?
        }
        _ => Vec::new(),
    };
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
        AdminCommand::CleanupDeadFollowers {
            package,
            dry_run: false,
        } => {
            let v = jobs::cleanup(&client, package.as_deref()).await?;
            show(json, &v, print::cleanup);
        }
        AdminCommand::ImportPackages { .. } => {
            let v = jobs::import(&client, &purls).await?;
            show(json, &v, |v| {
                let n = |k: &str| v[k].as_array().map_or(0, Vec::len);
                println!(
                    "imported {} new package(s); {} already present",
                    n("created"),
                    n("existing")
                );
            });
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
        AdminCommand::Block { domain, reason } => {
            let body = serde_json::json!({ "domain": domain, "reason": reason });
            let v = client
                .json_body(Method::POST, &["domain-blocks"], &body)
                .await?;
            show(json, &v, |v| {
                let domain = print::cell(&v["domain"]);
                if v["changed"].as_bool() == Some(true) {
                    println!("blocked {domain} and its subdomains");
                } else {
                    println!("{domain} was already blocked");
                }
            });
        }
        AdminCommand::Unblock { domain } => {
            let v = client
                .json(Method::DELETE, &["domain-blocks", &domain], &[])
                .await?;
            show(json, &v, |v| {
                let domain = print::cell(&v["domain"]);
                if v["blocked"].as_bool() == Some(true) {
                    println!(
                        "removed the block on {domain}; it is still refused (allow-list mode or a parent domain's block)"
                    );
                } else {
                    println!("unblocked {domain}");
                }
            });
        }
        AdminCommand::Blocks => {
            let v = client.json(Method::GET, &["domain-blocks"], &[]).await?;
            show(json, &v, print::blocks);
        }
        AdminCommand::Hosts => {
            let v = client.json(Method::GET, &["hosts"], &[]).await?;
            show(json, &v, print::hosts);
        }
        AdminCommand::Registries => {
            let v = client.json(Method::GET, &["registries"], &[]).await?;
            show(json, &v, print::registries);
        }
        AdminCommand::Recheck { ecosystem, no_wait } => {
            let v = jobs::recheck(&client, ecosystem.as_deref(), !no_wait).await?;
            show(json, &v, print::recheck);
        }
        AdminCommand::Events => client.events(json).await?,
    }
    Ok(())
}

/// `pkgfed packages rotate-key`: through the running server's admin API, so its
/// delivery worker stops signing with the old key at once.
pub async fn rotate_key(
    config: Config,
    package: &str,
    url: Option<&str>,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let token = match token {
        Some(t) => t,
        None => stored_token(&config).await?,
    };
    let client = Client::new(&config, url, token)?;
    let v = client
        .json(
            Method::POST,
            &["packages", "rotate-key"],
            &[("package", package.to_owned())],
        )
        .await?;
    show(json, &v, |v| {
        println!(
            "rotated the key of {} (new key {}); Update sent to {} inbox(es)",
            print::cell(&v["package"]),
            print::cell(&v["fingerprint"]),
            print::cell(&v["deliveries"])
        );
    });
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
