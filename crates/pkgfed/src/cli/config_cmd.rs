//! `pkgfed config check`.

use crate::config::{Config, redacted_toml};

/// Validates and prints the effective configuration with secrets redacted.
pub fn check(mut config: Config, dev: bool) -> anyhow::Result<()> {
    if dev {
        config.apply_dev_profile();
    }
    let settings = config.validate()?;
    if !dev {
        // What `pkgfed serve` would refuse: an enabled ecosystem without its endpoint.
        settings.watch.require_registries()?;
    }
    print!("{}", redacted_toml(&config));
    for (eco, key) in &settings.watch.unconfigured {
        eprintln!("warning: {eco} is enabled but not watched: set {key}");
    }
    eprintln!("configuration is valid");
    Ok(())
}
