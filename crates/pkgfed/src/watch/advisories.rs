//! Security advisories for watched packages: read the configured sources, keep one
//! advisory per id and aliases, and post it once per affected package as a
//! content-warned reply under the newest affected release pkgfed announced.
//!
//! - A changed advisory (newer `modified`, different text) → `Update` of its Note; a
//!   withdrawn one → `Delete`. An older or equal copy from another source changes
//!   nothing, so the same CVE from two sources posts once.
//! - When a package starts being tracked (after its release baseline), advisories
//!   already known are recorded without posting, except those affecting its newest
//!   version, which are posted once.
//! - Everything is persisted: a restart reposts nothing.

use std::time::Duration;

use pkgfed_registries::PackageId;
use pkgfed_registries::RateLimiter;
use pkgfed_registries::adapters::HttpSettings;
use pkgfed_registries::advisories::matching;
use pkgfed_registries::advisories::model::Advisory;
use pkgfed_registries::advisories::source::{
    ApiState, DirectorySource, DirectoryState, OsvApiConfig, OsvApiSource,
};
use pkgfed_registries::versions;
use sha2::{Digest, Sha256};

use super::Watcher;
use super::error::{Result, WatchError};
use crate::events::Event;
use crate::posts::advisory::{AdvisoryFacts, advisory_note};
use crate::posts::publishing;
use crate::store::Package;
use crate::store::advisory::{AdvisoryPostRow, StoredAdvisory};
use crate::store::watch::ReleaseState;

/// Runs until shutdown: reads the sources every `advisories.interval_seconds`, and
/// takes new tracked packages into account every few seconds.
pub async fn run(state: Watcher) {
    let a = &state.settings.advisories;
    if !a.enabled() || !state.settings.watch.enabled {
        return;
    }
    let api = match a.osv_api_url.clone().map(|url| osv_api(&state, url)) {
        Some(Ok(api)) => Some(api),
        Some(Err(e)) => {
            tracing::error!(error = %e, "cannot use advisories.osv_api_url");
            None
        }
        None => None,
    };
    let mut shutdown = state.shutdown.on_request();
    let mut last_read: Option<tokio::time::Instant> = None;
    loop {
        // Of several workers on one database, the lease holder runs the passes.
        let held = state
            .store
            .try_lease(LEASE, &state.holder, state.clock.now_ms(), LEASE_TTL_MS)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not take the advisory lease");
                false
            });
        if held {
            let read_sources = last_read.is_none_or(|t| t.elapsed() >= a.interval);
            if read_sources {
                last_read = Some(tokio::time::Instant::now());
            }
            if let Err(e) = run_once(&state, read_sources, api.as_ref()).await {
                tracing::warn!(error = %e, "advisory check failed");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(a.interval.min(Duration::from_secs(5))) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            if held {
                let _ = state.store.release_lease(LEASE, &state.holder).await;
            }
            return;
        }
    }
}

/// The lease of the advisory passes (see [`crate::store::cluster`]).
const LEASE: &str = "advisories";
/// It outlives a long pass (many packages on a rate-limited OSV API); a holder that
/// dies hands over to another worker after it.
const LEASE_TTL_MS: i64 = 600_000;

fn osv_api(state: &Watcher, base_url: url::Url) -> Result<OsvApiSource> {
    let a = &state.settings.advisories;
    let config = OsvApiConfig {
        http: HttpSettings {
            user_agent: state.settings.watch.user_agent.clone(),
            ..HttpSettings::default()
        },
        ..OsvApiConfig::new(base_url)
    };
    OsvApiSource::new(
        &config,
        std::sync::Arc::new(RateLimiter::new(a.requests_per_second)),
    )
    .map_err(WatchError::OsvApiConfig)
}

/// One pass: read the sources (when `read_sources`), take new packages into account,
/// act on what changed.
pub async fn run_once(
    state: &Watcher,
    read_sources: bool,
    api: Option<&OsvApiSource>,
) -> Result<()> {
    if read_sources {
        // Each source's new state is saved only after what it brought is stored: a
        // crash or error in between reads those files or records again.
        let (mut incoming, mut states) = read_directories(state).await?;
        if let Some(api) = api {
            match read_api(state, api).await {
                Ok((advisories, api_state)) => {
                    incoming.extend(advisories);
                    states.extend(api_state);
                }
                // The directories' advisories still count.
                Err(e) => tracing::warn!(error = %e, "OSV API not read; trying again next time"),
            }
        }
        for adv in incoming {
            ingest(state, &adv).await?;
        }
        for (key, json) in states {
            state.store.set_advisory_source_state(&key, &json).await?;
        }
    }
    for package_id in state.store.packages_needing_advisory_baseline().await? {
        if let Some(p) = state.store.package_by_id(package_id).await? {
            for stored in state
                .store
                .advisories_naming(p.ecosystem, &p.name_key)
                .await?
            {
                act(state, &p, &stored, true).await?;
            }
        }
        state
            .store
            .advisory_baseline_done(package_id, state.clock.now_ms())
            .await?;
    }
    // Stored but not yet acted on (changed now, or before a crash): only the tracked
    // packages each one names, so the cost follows the advisories, not the packages.
    let pending = state.store.pending_advisories().await?;
    if pending.is_empty() {
        return Ok(());
    }
    let tracked: std::collections::HashSet<i64> = state
        .store
        .advisory_tracked_packages()
        .await?
        .into_iter()
        .collect();
    for id in &pending {
        if let Some(stored) = state.store.advisory(id).await? {
            for package_id in state.store.packages_named_by(id).await? {
                if tracked.contains(&package_id)
                    && let Some(p) = state.store.package_by_id(package_id).await?
                {
                    act(state, &p, &stored, false).await?;
                }
            }
        }
        state.store.advisory_acted_on(id).await?;
    }
    Ok(())
}

/// The changed advisories of every directory, with each directory's new state (to
/// save once they are stored).
async fn read_directories(state: &Watcher) -> Result<(Vec<Advisory>, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut states = Vec::new();
    for dir in &state.settings.advisories.directories {
        let key = format!("dir:{}", dir.display());
        let saved: DirectoryState = state
            .store
            .advisory_source_state(&key)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let root = dir.clone();
        let (result, new_state) = tokio::task::spawn_blocking(move || {
            let mut source = DirectorySource::with_state(root, saved);
            let result = source.scan();
            (result, source.state().clone())
        })
        .await?;
        let scan = result.map_err(|source| WatchError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        for e in &scan.errors {
            tracing::warn!(directory = %dir.display(), error = %e, "advisory file skipped");
        }
        out.extend(scan.changed.into_iter().map(|f| f.advisory));
        let json = serde_json::to_string(&new_state)?;
        states.push((key, json));
    }
    Ok((out, states))
}

/// Asks the OSV API about every tracked package; returns new and changed records and
/// the API's new state (to save once they are stored).
async fn read_api(
    state: &Watcher,
    api: &OsvApiSource,
) -> Result<(Vec<Advisory>, Option<(String, String)>)> {
    const KEY: &str = "osv-api";
    let mut ids = state.store.advisory_tracked_packages().await?;
    ids.extend(state.store.packages_needing_advisory_baseline().await?);
    let mut packages = Vec::new();
    for id in ids {
        if let Some(p) = state.store.package_by_id(id).await?
            && pkgfed_registries::advisories::model::osv_ecosystem(p.ecosystem).is_some()
            && let Ok(pid) = PackageId::new(p.ecosystem, &p.name)
        {
            packages.push(pid);
        }
    }
    if packages.is_empty() {
        return Ok((Vec::new(), None));
    }
    let mut api_state: ApiState = state
        .store
        .advisory_source_state(KEY)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let poll = api
        .poll(&packages, &mut api_state)
        .await
        .map_err(WatchError::OsvApi)?;
    for e in &poll.errors {
        tracing::warn!(error = %e, "OSV API record skipped");
    }
    let json = serde_json::to_string(&api_state)?;
    Ok((poll.changed, Some((KEY.to_owned(), json))))
}

/// Stores an advisory under its canonical id unless a copy as new is stored; returns
/// the canonical id when something changed.
pub async fn ingest(state: &Watcher, adv: &Advisory) -> Result<Option<String>> {
    // Only advisories naming a package of an enabled ecosystem are kept: a full OSV
    // dump covers dozens of ecosystems pkgfed does not serve.
    let packages: Vec<_> = adv
        .affected
        .iter()
        .filter_map(|a| a.package.key())
        .filter(|(eco, _)| state.settings.ecosystems.contains(eco))
        .collect();
    if packages.is_empty() {
        return Ok(None);
    }
    let ids: Vec<String> = adv.ids().into_iter().map(str::to_owned).collect();
    let canonical = state
        .store
        .canonical_advisory(&ids)
        .await?
        .unwrap_or_else(|| adv.id.clone());
    let modified = adv.modified.unix();
    if let Some(old) = state.store.advisory(&canonical).await?
        && (old.modified > modified
            || (old.modified == modified && old.withdrawn == adv.is_withdrawn()))
    {
        return Ok(None);
    }
    let record = adv.to_json()?;
    state
        .store
        .put_advisory(
            &StoredAdvisory {
                advisory_id: canonical.clone(),
                record,
                modified,
                withdrawn: adv.is_withdrawn(),
            },
            &ids,
            &packages,
            state.clock.now_ms(),
        )
        .await?;
    Ok(Some(canonical))
}

/// What an advisory post (and the package page) says about `id`.
pub(crate) fn facts(canonical: &str, adv: &Advisory, id: &PackageId) -> AdvisoryFacts {
    let cvss = adv.cvss();
    AdvisoryFacts {
        id: canonical.to_owned(),
        aliases: adv
            .ids()
            .into_iter()
            .filter(|i| *i != canonical)
            .map(str::to_owned)
            .collect(),
        summary: adv.summary.clone(),
        affected: matching::describe_affected(adv, id),
        fixed: adv.fixed_versions(id),
        cvss_vector: cvss.as_ref().map(|c| c.vector.clone()),
        cvss_score: cvss.and_then(|c| c.base_score),
        references: adv.references.iter().map(|r| r.url.clone()).collect(),
        published: adv.published.as_ref().map(|t| t.to_rfc3339()),
        modified: Some(adv.modified.to_rfc3339()),
    }
}

fn revision(f: &AdvisoryFacts) -> String {
    let text = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        f.id, f.aliases, f.summary, f.affected, f.fixed, f.cvss_vector, f.cvss_score, f.references
    );
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Does what `stored` calls for about `package` (see the module docs).
async fn act(
    state: &Watcher,
    package: &Package,
    stored: &StoredAdvisory,
    baseline: bool,
) -> Result<()> {
    let adv = Advisory::from_osv_json(stored.record.as_bytes(), &stored.advisory_id)
        .map_err(WatchError::Advisory)?;
    let Ok(id) = PackageId::new(package.ecosystem, &package.name) else {
        return Ok(());
    };
    let now = state.clock.now_ms();
    let canonical = &stored.advisory_id;
    let row = state.store.advisory_post(package.id, canonical).await?;
    let actor = state.urls.actor(&package.handle);
    if adv.is_withdrawn() {
        if let Some(mut r) = row.filter(|r| r.state == "posted")
            && let Some(note_id) = r.note_id.clone()
        {
            publishing::delete_note(state, package, &note_id).await?;
            r.state = "deleted".into();
            state.store.put_advisory_post(&r, now).await?;
            state.events.publish(Event::AdvisoryWithdrawn {
                package: actor,
                advisory: canonical.clone(),
                note_id,
            });
        }
        return Ok(());
    }
    if !matching::affects(&adv, &id) {
        return Ok(());
    }
    let f = facts(canonical, &adv, &id);
    let rev = revision(&f);
    match row {
        Some(mut r) if r.state == "posted" => {
            if r.revision == rev {
                return Ok(());
            }
            let Some(note_id) = r.note_id.clone() else {
                return Ok(());
            };
            let Some(p) = state.store.post(&note_id).await? else {
                return Ok(());
            };
            let old: serde_json::Value = serde_json::from_str(&p.object).unwrap_or_default();
            let note = advisory_note(&state.urls, package, &f, old["inReplyTo"].as_str());
            publishing::update_note(state, package, p, &note, &format!("updates/{rev}")).await?;
            r.revision = rev;
            state.store.put_advisory_post(&r, now).await?;
            state.events.publish(Event::AdvisoryUpdated {
                package: actor,
                advisory: canonical.clone(),
                note_id,
            });
        }
        Some(_) => {}
        None => {
            let releases = state.store.releases(package.id).await?;
            if baseline {
                let live = releases
                    .iter()
                    .filter(|r| r.state != ReleaseState::Yanked)
                    .map(|r| r.version.as_str());
                let newest = versions::newest(package.ecosystem, live, false);
                if !newest.is_some_and(|v| matching::is_affected(&adv, &id, v)) {
                    let row = AdvisoryPostRow {
                        package_id: package.id,
                        advisory_id: canonical.clone(),
                        state: "recorded".into(),
                        note_id: None,
                        revision: rev,
                    };
                    state.store.put_advisory_post(&row, now).await?;
                    return Ok(());
                }
            }
            let announced: Vec<&str> = releases
                .iter()
                .filter(|r| r.state == ReleaseState::Announced && r.note_id.is_some())
                .map(|r| r.version.as_str())
                .collect();
            let reply_to = matching::newest_affected(&adv, &id, announced.iter().copied())
                .and_then(|v| releases.iter().find(|r| r.version == v))
                .and_then(|r| r.note_id.clone());
            let note = advisory_note(&state.urls, package, &f, reply_to.as_deref());
            let note_id = publishing::publish_note(state, package, &note, "advisory", None).await?;
            let row = AdvisoryPostRow {
                package_id: package.id,
                advisory_id: canonical.clone(),
                state: "posted".into(),
                note_id: Some(note_id.clone()),
                revision: rev,
            };
            state.store.put_advisory_post(&row, now).await?;
            tracing::info!(package = %package.purl, advisory = %canonical, "advisory posted");
            state.events.publish(Event::AdvisoryPublished {
                package: actor,
                advisory: canonical.clone(),
                note_id,
            });
        }
    }
    Ok(())
}
