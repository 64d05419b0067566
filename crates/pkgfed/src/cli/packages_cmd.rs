//! `pkgfed packages add|list|show|remove` on the local database (`rotate-key` goes
//! through the running server: `crate::cli::admin_cmd::rotate_key`).

use anyhow::bail;

use super::PackagesCommand;
use crate::config::Config;
use crate::federation::urls::Urls;
use crate::packages;
use crate::store::{self, Package, PackageMeta};

/// Runs a packages subcommand.
pub async fn run(config: Config, cmd: PackagesCommand) -> anyhow::Result<()> {
    if let PackagesCommand::RotateKey {
        package,
        instance,
        url,
        token,
        json,
    } = cmd
    {
        return match (instance, package) {
            (false, Some(package)) => {
                super::admin_cmd::rotate_key(config, &package, url.as_deref(), token, json).await
            }
            (true, _) => rotate_instance_key(&config, url.as_deref()).await,
            (false, None) => bail!(
                "name the package whose key to rotate (a purl or handle), or pass --instance \
                 for the instance actor's key"
            ),
        };
    }
    let mut ecosystems = config.packages.ecosystems.clone();
    ecosystems.sort();
    ecosystems.dedup();
    if ecosystems.is_empty() {
        bail!("packages.ecosystems: enable at least one ecosystem (cargo, npm, pypi)");
    }
    // The base URL is optional here: with it, actor URLs and handles are printed.
    let urls = config.validate().ok().map(|s| Urls::new(&s.base_url));
    let store = store::open(&config.storage.database_url).await?;
    match cmd {
        PackagesCommand::Add {
            purl,
            name,
            description,
            homepage,
            repository,
            license,
        } => {
            for (flag, value) in [("--homepage", &homepage), ("--repository", &repository)] {
                if let Some(v) = value
                    && !(v.starts_with("https://") || v.starts_with("http://"))
                {
                    bail!("{flag} must be an http(s) URL, got `{v}`");
                }
            }
            let meta = PackageMeta {
                display_name: name,
                description,
                homepage,
                repository,
                license,
            };
            let p = packages::add(&store, &ecosystems, &purl, meta).await?;
            println!("added {}", p.purl);
            print_package(&p, urls.as_ref());
        }
        PackagesCommand::List { json } => {
            let mut after = None;
            let mut n = 0;
            let mut rows = Vec::new();
            loop {
                let page = store.list_packages(after, 500).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                for p in &page {
                    n += 1;
                    if json {
                        rows.push(serde_json::json!({
                            "handle": p.handle, "purl": p.purl,
                            "ecosystem": p.ecosystem.as_str(), "name": p.name,
                        }));
                    } else {
                        println!("{}\t{}", p.handle, p.purl);
                    }
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            }
            eprintln!("{n} package(s)");
        }
        PackagesCommand::Show { package } => {
            let Some(p) = packages::find(&store, &ecosystems, &package).await? else {
                bail!("no package `{package}`: list them with `pkgfed packages list`");
            };
            print_package(&p, urls.as_ref());
            println!("followers:   {}", store.count_followers(p.id).await?);
        }
        PackagesCommand::Remove { package } => {
            let Some(p) = packages::find(&store, &ecosystems, &package).await? else {
                bail!("no package `{package}`: list them with `pkgfed packages list`");
            };
            store.remove_package(p.id).await?;
            println!("removed {} ({})", p.purl, p.handle);
        }
        PackagesCommand::RotateKey { .. } => {}
    }
    Ok(())
}

fn print_package(p: &Package, urls: Option<&Urls>) {
    println!("purl:        {}", p.purl);
    println!("ecosystem:   {}", p.ecosystem);
    println!("name:        {}", p.name);
    match urls {
        Some(u) => {
            println!("handle:      @{}@{}", p.handle, u.host());
            println!("actor:       {}", u.actor(&p.handle));
        }
        None => println!("handle:      {}", p.handle),
    }
    for (label, v) in [
        ("display:    ", &p.meta.display_name),
        ("description:", &p.meta.description),
        ("homepage:   ", &p.meta.homepage),
        ("repository: ", &p.meta.repository),
        ("license:    ", &p.meta.license),
    ] {
        if let Some(v) = v {
            println!("{label} {v}");
        }
    }
}

/// `pkgfed packages rotate-key --instance`: refused while the server answers (it would
/// go on signing with, and serving, the key it loaded), else a new key in the store.
async fn rotate_instance_key(config: &Config, url: Option<&str>) -> anyhow::Result<()> {
    let server = match url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => super::admin_cmd::default_url(&config.server.listen)?,
    };
    let healthz = format!("{server}/healthz");
    if super::healthcheck::run(&healthz, std::time::Duration::from_secs(2))
        .await
        .is_ok()
    {
        bail!(
            "pkgfed is running at {server}: stop it first (it keeps the instance key it started \
             with), run this again, then start it"
        );
    }
    let store = store::open(&config.storage.database_url).await?;
    let public_pem = crate::signing::rotate_instance_key(&store).await?;
    let fingerprint = crate::signing::key_fingerprint(&public_pem);
    println!("rotated the instance actor's key (new key {fingerprint}); start pkgfed to use it");
    println!(
        "remote servers that cached the old key fetch /actor again when a signature with it fails"
    );
    Ok(())
}
