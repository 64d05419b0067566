//! The long admin jobs, shown with [`Progress`]: importing packages from a file (in
//! batches through `POST /packages/import`) and removing dead followers (one
//! `POST /followers/dead/cleanup` per package).
//!
//! An import file has one purl per line; blank lines and lines starting with `#` are
//! skipped. Every line is checked before anything is sent: when any line is bad the
//! command names each bad line (`FILE:7: …`), imports nothing and exits non-zero.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use pkgfed_registries::{Ecosystem, parse_purl};
use reqwest::Method;
use serde_json::{Value, json};

use super::Client;
use crate::cli::progress::Progress;

/// Purls per request: small enough that each batch answers within seconds (every
/// new package gets an RSA key).
const BATCH: usize = 25;

/// The purls of `file`, or every bad line named.
pub(super) fn read_purls(file: &Path, ecosystems: &[Ecosystem]) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the import file {}", file.display()))?;
    let mut purls = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_purl(line) {
            Ok((id, _)) if !ecosystems.contains(&id.ecosystem()) => bad.push(format!(
                "{}:{}: `{line}`: ecosystem `{}` is not enabled (packages.ecosystems)",
                file.display(),
                i + 1,
                id.ecosystem()
            )),
            Ok(_) => purls.push(line.to_owned()),
            Err(e) => bad.push(format!("{}:{}: `{line}`: {e}", file.display(), i + 1)),
        }
    }
    if !bad.is_empty() {
        bail!(
            "{} bad line(s), nothing imported; fix them and run again:\n  {}",
            bad.len(),
            bad.join("\n  ")
        );
    }
    if purls.is_empty() {
        bail!(
            "{} has no package URLs (one per line, e.g. pkg:cargo/serde)",
            file.display()
        );
    }
    Ok(purls)
}

/// Imports `purls`; returns `{"created": [...], "existing": [...]}` over all batches.
pub(super) async fn import(client: &Client, purls: &[String]) -> anyhow::Result<Value> {
    let mut created = Vec::new();
    let mut existing = Vec::new();
    let mut progress = Progress::new("importing packages", purls.len() as u64);
    for batch in purls.chunks(BATCH) {
        let answer = client
            .json_body(Method::POST, &["packages", "import"], &json!({ "purls": batch }))
            .await
            .with_context(|| {
                format!(
                    "importing stopped after {} of {} packages (run again: present ones are skipped)",
                    created.len() + existing.len(),
                    purls.len()
                )
            })?;
        for (key, into) in [("created", &mut created), ("existing", &mut existing)] {
            if let Some(list) = answer[key].as_array() {
                into.extend(list.iter().cloned());
            }
        }
        progress.advance(batch.len() as u64);
    }
    progress.finish();
    Ok(json!({ "created": created, "existing": existing }))
}

/// Removes the dead followers, one package at a time; returns the cleanup answers'
/// `removed` and `followers` summed up.
pub(super) async fn cleanup(client: &Client, package: Option<&str>) -> anyhow::Result<Value> {
    let q = [("package", package.unwrap_or_default().to_owned())];
    let dead = client.json(Method::GET, &["followers", "dead"], &q).await?;
    let mut by_package: BTreeMap<String, u64> = BTreeMap::new();
    for f in dead["dead_followers"].as_array().into_iter().flatten() {
        *by_package
            .entry(f["package"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let total: u64 = by_package.values().sum();
    let mut progress = Progress::new("removing dead followers", total);
    let mut removed = 0;
    let mut followers = Vec::new();
    for (package, n) in by_package {
        let q = [("package", package), ("dry_run", "false".to_owned())];
        let answer = client
            .json(Method::POST, &["followers", "dead", "cleanup"], &q)
            .await?;
        removed += answer["removed"].as_u64().unwrap_or(0);
        followers.extend(
            answer["followers"]
                .as_array()
                .into_iter()
                .flatten()
                .cloned(),
        );
        progress.advance(n);
    }
    progress.finish();
    Ok(json!({ "dry_run": false, "removed": removed, "followers": followers }))
}
