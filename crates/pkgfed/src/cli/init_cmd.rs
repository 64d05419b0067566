//! `pkgfed init --domain D`: writes a commented `pkgfed.toml` for a new instance,
//! with a generated admin token, and prints the next steps.
//!
//! The file is created with mode 0600 (it holds the token) and an existing file is
//! never replaced without `--force`. Registry endpoints given as options are
//! written; those not given are left as commented placeholders, and the next steps
//! name the keys to set (`pkgfed config check` refuses the file until they are).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use pkgfed_registries::Ecosystem;

use crate::web::admin::auth;

/// What `pkgfed init` was asked for.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pkgfed init --domain pkgs.example.org --ecosystems cargo \\\n    --cargo-index-url https://index.cargo-registry.example/\n  pkgfed config check"
)]
pub struct InitArgs {
    /// The public domain of the instance (handles are @name@DOMAIN), e.g.
    /// pkgs.example.org; a port is allowed (pkgs.example.org:8443).
    #[arg(long)]
    pub domain: String,
    /// Ecosystems to serve, comma-separated (cargo, npm, pypi).
    #[arg(long, value_delimiter = ',', default_value = "cargo,npm,pypi")]
    pub ecosystems: Vec<Ecosystem>,
    /// Base URL of the Cargo registry's sparse index (cargo.index_url).
    #[arg(long)]
    pub cargo_index_url: Option<String>,
    /// Base URL of the npm registry (npm.registry_url).
    #[arg(long)]
    pub npm_registry_url: Option<String>,
    /// Base URL of the Python package index (pypi.url).
    #[arg(long)]
    pub pypi_url: Option<String>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Writes the file at `path` (the `--config` path, else `./pkgfed.toml`).
pub fn run(args: InitArgs, path: &Path) -> anyhow::Result<()> {
    let domain = check_domain(&args.domain)?;
    if args.ecosystems.contains(&Ecosystem::Generic) {
        bail!(
            "--ecosystems: `generic` needs its feeds listed by hand: init with the registries, then add \
             generic and generic.feeds to the file (see docs/configuration.md)"
        );
    }
    let endpoints = [
        (
            Ecosystem::Cargo,
            "index_url",
            &args.cargo_index_url,
            "--cargo-index-url",
            "https://index.cargo-registry.example/",
        ),
        (
            Ecosystem::Npm,
            "registry_url",
            &args.npm_registry_url,
            "--npm-registry-url",
            "https://npm-registry.example/",
        ),
        (
            Ecosystem::Pypi,
            "url",
            &args.pypi_url,
            "--pypi-url",
            "https://python-index.example/",
        ),
    ];
    for (_, _, url, flag, _) in &endpoints {
        if let Some(u) = url
            && url::Url::parse(u).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            bail!("{flag}: `{u}` is not an http(s) URL");
        }
    }
    if path.exists() && !args.force {
        bail!(
            "{} exists; pass --force to replace it (its admin token and settings are lost) or --config to write elsewhere",
            path.display()
        );
    }
    let token = auth::generate()?;
    let mut ecosystems = args.ecosystems.clone();
    ecosystems.sort();
    ecosystems.dedup();
    let list = ecosystems
        .iter()
        .map(|e| format!("\"{e}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = format!(
        r#"# pkgfed configuration, written by `pkgfed init`.
# Every key is described in docs/configuration.md; an environment variable
# PKGFED_SECTION_KEY overrides section.key. This file holds a secret (admin.token):
# keep it readable by the pkgfed user only.

[server]
# Where pkgfed listens. Put a TLS-terminating reverse proxy in front of it.
listen = "127.0.0.1:8080"
# The public URL. Every actor id and handle (@serde@{domain}) is built from it:
# changing it later changes every actor's identity.
base_url = "https://{domain}"

[storage]
# The SQLite file (relative to the working directory), created on first start.
database_url = "sqlite://pkgfed.db"

[packages]
# With one ecosystem handles are bare names (@serde@host); with several they carry
# the ecosystem (@cargo.serde@host).
ecosystems = [{list}]

[admin]
# Bearer token of the admin API (`pkgfed admin …` reads it from here). Secret.
token = "{token}"

[log]
# "pretty" (human-readable) or "json" (one object per line, for log collectors).
format = "pretty"

[metrics]
# A private address for Prometheus to scrape /metrics without the token, e.g.
# listen = "127.0.0.1:9464". Empty: metrics only at /api/v1/admin/metrics.
listen = ""
"#
    );
    let mut missing = Vec::new();
    for (eco, key, url, _, placeholder) in &endpoints {
        if !ecosystems.contains(eco) {
            continue;
        }
        text.push_str(&format!("\n[{eco}]\n"));
        match url {
            Some(u) => text.push_str(&format!("{key} = \"{u}\"\n")),
            None => {
                text.push_str(&format!(
                    "# Required: your registry's endpoint (none is built in), e.g.\n# {key} = \"{placeholder}\"\n"
                ));
                missing.push(format!("{eco}.{key}"));
            }
        }
    }
    write_private(path, &text, args.force)?;
    println!(
        "wrote {} (mode 0600) with a generated admin token",
        path.display()
    );
    println!("next steps:");
    let mut step = 1;
    if !missing.is_empty() {
        println!("  {step}. set {} in {}", missing.join(", "), path.display());
        step += 1;
    }
    println!("  {step}. pkgfed config check        # validates the file");
    println!(
        "  {}. pkgfed serve               # behind a TLS proxy for https://{domain}",
        step + 1
    );
    println!(
        "  {}. pkgfed packages add pkg:{}/NAME, or let followers find packages",
        step + 2,
        ecosystems[0]
    );
    println!("     with WebFinger; `pkgfed admin --help` lists the operator commands");
    Ok(())
}

/// `host[:port]`, lowercased, or an error saying what to give instead.
fn check_domain(raw: &str) -> anyhow::Result<String> {
    let d = raw.trim().to_ascii_lowercase();
    if d.is_empty() || d.contains("://") || d.contains('/') || d.contains('@') {
        bail!("--domain: give the domain only, e.g. --domain pkgs.example.org (got `{raw}`)");
    }
    let url = url::Url::parse(&format!("https://{d}/"))
        .with_context(|| format!("--domain: `{raw}` is not a domain name"))?;
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() || !d.starts_with(host) {
        bail!("--domain: `{raw}` is not a domain name");
    }
    Ok(d)
}

/// Creates (or with `force` truncates) `path` readable by its owner only.
fn write_private(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // An existing file replaced with --force keeps its old mode: tighten it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to mode 0600", path.display()))?;
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked() {
        assert_eq!(
            check_domain("Pkgs.Example.org").ok().as_deref(),
            Some("pkgs.example.org")
        );
        assert_eq!(
            check_domain("pkgs.example.org:8443").ok().as_deref(),
            Some("pkgs.example.org:8443")
        );
        for bad in [
            "",
            "https://pkgs.example.org",
            "pkgs.example.org/x",
            "a b",
            "me@pkgs.example.org",
        ] {
            assert!(check_domain(bad).is_err(), "{bad:?}");
        }
    }
}
