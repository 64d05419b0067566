//! `pkgfed healthcheck`: asks the local server's `GET /healthz` and exits 0 only on a
//! 2xx answer. It exists for container HEALTHCHECKs on images without curl (the
//! distroless runtime image): the probe is the pkgfed binary itself.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::Config;

/// The URL probed when none is given: `/healthz` on `server.listen`, with an
/// all-addresses listen (`0.0.0.0`, `::`) replaced by loopback of the same family.
pub fn default_url(config: &Config) -> anyhow::Result<String> {
    Ok(format!(
        "{}/healthz",
        super::admin_cmd::default_url(&config.server.listen)?
    ))
}

/// Probes `url` once, within `timeout`.
pub async fn run(url: &str, timeout: Duration) -> anyhow::Result<()> {
    // No proxy: the probe is about this machine's server, never a proxy's answer.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = client.get(url).send().await.with_context(|| {
        format!("cannot reach {url}: is `pkgfed serve` running and listening on server.listen?")
    })?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}: not healthy");
    }
    println!("{url}: {status}");
    Ok(())
}
