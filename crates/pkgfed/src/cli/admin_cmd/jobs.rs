//! The long admin jobs, shown with [`Progress`]: importing packages from a file (in
//! batches through `POST /packages/import`), removing dead followers (one
//! `POST /followers/dead/cleanup` per package) and re-checking every tracked package
//! (`POST /registries/recheck`, then the backlog of `GET /registries` until it is empty).
//!
//! An import file has one purl per line; blank lines and lines starting with `#` are
//! skipped. Every line is checked before anything is sent: when any line is bad the
//! command names each bad line (`FILE:7: …`), imports nothing and exits non-zero.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

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

/// How often `recheck` looks at the backlog.
const RECHECK_POLL: Duration = Duration::from_millis(500);

/// Marks every tracked package of `ecosystem` (or of every configured registry) due;
/// with `wait`, follows the backlog of those registries until it is empty. Returns
/// `{"marked": {eco: n}, "remaining": n, "erroring": n}` (the last two only when it
/// waited). Stopping the wait (Ctrl-C) does not stop the checks.
pub(super) async fn recheck(
    client: &Client,
    ecosystem: Option<&str>,
    wait: bool,
) -> anyhow::Result<Value> {
    let q: Vec<(&str, String)> = ecosystem
        .map(|e| ("ecosystem", e.to_owned()))
        .into_iter()
        .collect();
    let answer = client
        .json(Method::POST, &["registries", "recheck"], &q)
        .await?;
    let marked: BTreeMap<String, u64> = answer["marked"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    let total: u64 = marked.values().sum();
    if !wait || total == 0 {
        return Ok(json!({ "marked": answer["marked"] }));
    }
    let mut progress = Progress::new("checking packages", total);
    let (remaining, erroring) = loop {
        let health = client.json(Method::GET, &["registries"], &[]).await?;
        let ours = health["registries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["ecosystem"]
                    .as_str()
                    .is_some_and(|e| marked.contains_key(e))
            });
        let (due, erroring) = ours.fold((0, 0), |(d, e), r| {
            (
                d + r["due"].as_u64().unwrap_or(0),
                e + r["erroring"].as_u64().unwrap_or(0),
            )
        });
        progress.set(total.saturating_sub(due));
        if due == 0 {
            break (due, erroring);
        }
        tokio::time::sleep(RECHECK_POLL).await;
    };
    progress.finish();
    Ok(json!({ "marked": answer["marked"], "remaining": remaining, "erroring": erroring }))
}
