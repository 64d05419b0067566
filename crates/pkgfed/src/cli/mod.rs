//! The command line: `pkgfed init`, `pkgfed serve`, `pkgfed config check`, `pkgfed packages …`,
//! `pkgfed admin …`, and for packagers and operators `pkgfed healthcheck`,
//! `pkgfed completions <shell>` and `pkgfed man`.
//!
//! One file per command group; `main` only parses and calls [`run`].

mod admin_cmd;
mod completions;
mod config_cmd;
mod healthcheck;
mod init_cmd;
mod man;
mod packages_cmd;
mod progress;
mod serve;

use std::path::PathBuf;

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, apply_env_overrides};

pub use admin_cmd::{AdminArgs, AdminCommand};

/// Follow software packages from the fediverse.
#[derive(Debug, Parser)]
#[command(name = "pkgfed", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./pkgfed.toml when it exists.
    #[arg(long, short, global = true, env = "PKGFED_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented pkgfed.toml for a new instance (generated admin token).
    Init(init_cmd::InitArgs),
    /// Run the server.
    #[command(
        after_help = "Example:\n  pkgfed serve --dev      # local test instance on http://127.0.0.1:8080\n  PKGFED_SERVER_BASE_URL=https://pkgs.example.org pkgfed serve\n  pkgfed serve --role worker   # cluster mode (PostgreSQL): deliveries and registry watching only"
    )]
    Serve {
        /// Local test instance: base URL http://<listen>, plain http and private
        /// addresses allowed. Never use on the public internet.
        #[arg(long)]
        dev: bool,
        /// What this process runs: `all` (everything, the default), or in cluster
        /// mode on PostgreSQL `web` (HTTP: inbox, documents, pages, admin API) or
        /// `worker` (deliveries, registry watching, advisories; only /healthz,
        /// /readyz and /metrics on server.listen). See docs/deploy-cluster.md.
        #[arg(long, value_enum, env = "PKGFED_ROLE", default_value_t = crate::server::Role::All)]
        role: crate::server::Role,
    },
    /// Inspect the configuration.
    #[command(subcommand, after_help = "Example:\n  pkgfed config check")]
    Config(ConfigCommand),
    /// Manage package actors in the local database.
    #[command(
        subcommand,
        after_help = "Example:\n  pkgfed packages add pkg:cargo/serde\n  pkgfed packages list --json"
    )]
    Packages(PackagesCommand),
    /// Operate the running server through its admin API (delivery state, events).
    Admin(AdminArgs),
    /// Exit 0 when the local server answers GET /healthz with 2xx (for container
    /// health checks on images without curl).
    #[command(
        after_help = "Example:\n  HEALTHCHECK CMD [\"pkgfed\", \"healthcheck\"]   # in a Dockerfile\n  pkgfed healthcheck --url http://127.0.0.1:8080/healthz"
    )]
    Healthcheck {
        /// URL to probe. Default: http://<server.listen>/healthz, on loopback when
        /// listening on all addresses.
        #[arg(long)]
        url: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 5)]
        timeout_seconds: u64,
    },
    /// Print the shell completion script for SHELL to stdout.
    #[command(after_help = "Example:\n  pkgfed completions bash > /etc/bash_completion.d/pkgfed")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page pkgfed(1) to stdout, or write all man pages into a directory.
    #[command(
        after_help = "Example:\n  pkgfed man | man -l -\n  pkgfed man --dir /usr/share/man/man1"
    )]
    Man {
        /// Write pkgfed.1 and one page per subcommand into this directory.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// `pkgfed config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted).
    #[command(
        after_help = "Example:\n  pkgfed config check\n  pkgfed --config /etc/pkgfed/pkgfed.toml config check --dev"
    )]
    Check {
        /// Validate as `serve --dev` would.
        #[arg(long)]
        dev: bool,
    },
}

/// `pkgfed packages …`
#[derive(Debug, Subcommand)]
pub enum PackagesCommand {
    /// Add a package actor, e.g. `pkgfed packages add pkg:cargo/serde`.
    #[command(
        after_help = "Example:\n  pkgfed packages add pkg:npm/%40types/node --description \"TypeScript types for Node.js\""
    )]
    Add {
        /// Package URL (purl), e.g. pkg:npm/%40types/node.
        purl: String,
        /// Display name (default: the package name).
        #[arg(long)]
        name: Option<String>,
        /// One-line description.
        #[arg(long)]
        description: Option<String>,
        /// Homepage URL.
        #[arg(long)]
        homepage: Option<String>,
        /// Repository URL.
        #[arg(long)]
        repository: Option<String>,
        /// Licence (SPDX expression).
        #[arg(long)]
        license: Option<String>,
    },
    /// List package actors (handle and purl, one per line).
    #[command(
        after_help = "Example:\n  pkgfed packages list\n  pkgfed packages list --json | jq -r '.[].purl'"
    )]
    List {
        /// Print a JSON array of {handle, purl, ecosystem, name} instead.
        #[arg(long)]
        json: bool,
    },
    /// Show one package actor by purl or handle.
    #[command(
        after_help = "Example:\n  pkgfed packages show pkg:cargo/serde\n  pkgfed packages show cargo.serde"
    )]
    Show {
        /// purl or handle.
        package: String,
    },
    /// Give a package actor a new key pair and send its followers `Update` with it.
    /// Asks the running server (its admin API), so deliveries switch to the new key
    /// at once. With `--instance`: the instance actor's key, while pkgfed is stopped.
    #[command(
        after_help = "Example:\n  pkgfed packages rotate-key pkg:cargo/serde\n  pkgfed packages rotate-key cargo.serde --url http://127.0.0.1:8080\n  systemctl stop pkgfed && pkgfed packages rotate-key --instance && systemctl start pkgfed"
    )]
    RotateKey {
        /// The package: purl or handle.
        #[arg(conflicts_with = "instance")]
        package: Option<String>,
        /// Rotate the instance actor's key instead (`/actor`, which signs pkgfed's
        /// fetches of remote actors). pkgfed must be stopped: a running server keeps
        /// the key it started with.
        #[arg(long)]
        instance: bool,
        /// Where the server listens (default: http://<server.listen>).
        #[arg(long)]
        url: Option<String>,
        /// Admin token (default: admin.token / PKGFED_ADMIN_TOKEN, else the database's).
        #[arg(long)]
        token: Option<String>,
        /// Print the API's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// Remove a package actor (with its followers) by purl or handle.
    #[command(after_help = "Example:\n  pkgfed packages remove pkg:cargo/serde")]
    Remove {
        /// purl or handle.
        package: String,
    },
}

/// Loads the configuration: file (if any), then `PKGFED_*` overrides.
pub fn load_config(path: Option<&PathBuf>) -> Result<Config, ConfigError> {
    let base = match path {
        Some(p) => Config::from_file(p)?,
        None => {
            let default = PathBuf::from("pkgfed.toml");
            if default.exists() {
                Config::from_file(&default)?
            } else {
                Config::default()
            }
        }
    };
    apply_env_overrides(&base, std::env::vars())
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Generated documentation needs no configuration: packagers run these in build
    // sandboxes where none exists (and a stray PKGFED_* variable must not break them).
    match &cli.command {
        Command::Completions { shell } => return completions::print(*shell),
        Command::Man { dir } => return man::run(dir.as_deref()),
        _ => {}
    }
    // `init` writes the configuration file, so it must not read one first.
    if let Command::Init(args) = cli.command {
        crate::telemetry::logging::init(crate::config::LogFormat::Pretty);
        let path = cli.config.unwrap_or_else(|| PathBuf::from("pkgfed.toml"));
        return init_cmd::run(args, &path);
    }
    let config = load_config(cli.config.as_ref())?;
    crate::telemetry::logging::init(config.log.format);
    match cli.command {
        Command::Serve { dev, role } => serve::run(config, dev, role).await,
        Command::Config(ConfigCommand::Check { dev }) => config_cmd::check(config, dev),
        Command::Packages(cmd) => packages_cmd::run(config, cmd).await,
        Command::Admin(args) => admin_cmd::run(config, args).await,
        Command::Healthcheck {
            url,
            timeout_seconds,
        } => {
            let url = match url {
                Some(url) => url,
                None => healthcheck::default_url(&config)?,
            };
            healthcheck::run(&url, Duration::from_secs(timeout_seconds)).await
        }
        // Handled above, before the configuration is loaded.
        Command::Init(_) | Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand, at every depth, shows an example in its `--help`.
    #[test]
    fn every_subcommand_help_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let path = format!("{path} {}", sub.get_name());
                let help = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if !help.starts_with("Example:\n  ") {
                    missing.push(path.clone());
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "pkgfed", &mut missing);
        assert!(missing.is_empty(), "no example in the help of: {missing:?}");
    }
}
