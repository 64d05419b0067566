//! The command line: `pkgfed serve`, `pkgfed config check`, `pkgfed packages …`,
//! `pkgfed admin …`.
//!
//! One file per command group; `main` only parses and calls [`run`].

mod admin_cmd;
mod config_cmd;
mod packages_cmd;
mod serve;

use std::path::PathBuf;

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
    /// Run the server.
    Serve {
        /// Local test instance: base URL http://<listen>, plain http and private
        /// addresses allowed. Never use on the public internet.
        #[arg(long)]
        dev: bool,
    },
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage package actors in the local database.
    #[command(subcommand)]
    Packages(PackagesCommand),
    /// Operate the running server through its admin API (delivery state, events).
    Admin(AdminArgs),
}

/// `pkgfed config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted).
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
    /// List package actors.
    List,
    /// Show one package actor by purl or handle.
    Show {
        /// purl or handle.
        package: String,
    },
    /// Remove a package actor (with its followers) by purl or handle.
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
    let config = load_config(cli.config.as_ref())?;
    match cli.command {
        Command::Serve { dev } => serve::run(config, dev).await,
        Command::Config(ConfigCommand::Check { dev }) => config_cmd::check(config, dev),
        Command::Packages(cmd) => packages_cmd::run(config, cmd).await,
        Command::Admin(args) => admin_cmd::run(config, args).await,
    }
}
