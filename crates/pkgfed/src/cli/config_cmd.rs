//! `pkgfed config check`.

use crate::config::{Config, redacted_toml};

/// Validates and prints the effective configuration with secrets redacted.
pub fn check(mut config: Config, dev: bool) -> anyhow::Result<()> {
    if dev {
        config.apply_dev_profile();
    }
    config.validate()?;
    print!("{}", redacted_toml(&config));
    eprintln!("configuration is valid");
    Ok(())
}
