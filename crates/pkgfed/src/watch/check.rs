//! One check of one package: ask its registry, work out what changed, post, record.
//!
//! Exactly once: every post has a stable activity id (see [`crate::posts::release`]) and is
//! queued before the version's row records it, so a crash in between repeats the same
//! id on the next check, which the durable queue ignores.

use std::time::Duration;

use pkgfed_registries::adapter::{
    CheckOutcome, PackageMetadata, RegistryAdapter, RegistryError, Snapshot, Validators,
};
use pkgfed_registries::{PackageId, versions};
use sha2::{Digest, Sha256};

use super::Watcher;
use super::diff::{Action, diff};
use super::error::{Result, WatchError};
use super::schedule;
use crate::events::Event;
use crate::federation::{activities, actor};
use crate::outbound::outbox;
use crate::packages;
use crate::posts::{publishing, release};
use crate::store::Package;
use crate::store::watch::{CheckUpdate, ReleaseRow, ReleaseState, WatchRow};

/// What a check did, for logs and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The registry answered 304.
    pub not_modified: bool,
    /// Versions posted.
    pub announced: Vec<String>,
    /// Posts deleted.
    pub withdrawn: Vec<String>,
    /// Posts updated for a deprecation.
    pub deprecated: Vec<String>,
    /// The error, when the check failed.
    pub error: Option<String>,
}

/// Checks one watched package now.
pub async fn check_package(
    state: &Watcher,
    adapter: &dyn RegistryAdapter,
    watch: &WatchRow,
) -> Result<CheckReport> {
    let Some(package) = state.store.package_by_id(watch.package_id).await? else {
        return Ok(CheckReport::default());
    };
    let now = state.clock.now_ms();
    let id =
        PackageId::new(package.ecosystem, &package.name).map_err(WatchError::InvalidPackage)?;
    // No validators on a baseline: a 304 would leave nothing to compare against.
    let validators = if watch.baseline_done {
        watch.validators.clone()
    } else {
        Validators::default()
    };
    let current = Duration::from_millis(watch.interval_ms.max(1) as u64);
    let result = adapter.check(&id, &validators).await;
    let mut report = CheckReport::default();
    let mut update = CheckUpdate {
        checked_at: now,
        interval_ms: watch.interval_ms,
        ..CheckUpdate::default()
    };
    match result {
        Ok(CheckOutcome::NotModified) => {
            report.not_modified = true;
            update.baseline_done = watch.baseline_done;
            // The release rhythm is judged by the age of the newest release, which
            // grows while nothing changes: recompute on a 304 too.
            update.interval_ms =
                interval_ms(state, package.ecosystem, watch.newest_release_at, now);
        }
        Ok(CheckOutcome::Changed {
            snapshot,
            validators,
        }) => match apply(state, adapter, &package, watch, &snapshot, &mut report).await {
            Ok(()) => {
                update.validators = Some(validators);
                update.baseline_done = true;
                update.changed = !report.announced.is_empty();
                update.metadata_hash = Some(metadata_hash(&snapshot.metadata));
                let newest = newest_publish(&snapshot).or(watch.newest_release_at);
                update.newest_release_at = newest;
                update.interval_ms = interval_ms(state, package.ecosystem, newest, now);
            }
            Err(e) => report.error = Some(e.to_string()),
        },
        Err(e) => report.error = Some(describe(&e)),
    }
    let interval = Duration::from_millis(update.interval_ms.max(1) as u64);
    let delay = match &report.error {
        None => interval,
        Some(_) => schedule::error_backoff(current, watch.consecutive_errors + 1),
    };
    update.next_check_at = now + schedule::jitter(package.id, delay).as_millis() as i64;
    update.error = report.error.clone();
    if let Some(e) = &report.error {
        tracing::warn!(package = %package.purl, error = %e, errors = watch.consecutive_errors + 1, "registry check failed");
    }
    state.store.save_check(package.id, &update).await?;
    Ok(report)
}

/// The next interval: the longest in change-feed mode (the feed brings releases),
/// else by the age of the newest release.
fn interval_ms(
    state: &Watcher,
    ecosystem: pkgfed_registries::Ecosystem,
    newest_release_at: Option<i64>,
    now_ms: i64,
) -> i64 {
    let settings = &state.settings.watch;
    if super::feed_mode(state, ecosystem) {
        return settings.max_interval.as_millis() as i64;
    }
    let age = newest_release_at.map(|t| now_ms / 1000 - t);
    schedule::interval_for(settings, age).as_millis() as i64
}

fn describe(e: &RegistryError) -> String {
    e.to_string()
}

fn newest_publish(s: &Snapshot) -> Option<i64> {
    s.versions.iter().filter_map(|v| v.published_at).max()
}

fn metadata_hash(m: &PackageMetadata) -> String {
    let mut h = Sha256::new();
    for part in [&m.description, &m.homepage, &m.repository, &m.license] {
        h.update(part.as_deref().unwrap_or("").as_bytes());
        h.update([0]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn apply(
    state: &Watcher,
    adapter: &dyn RegistryAdapter,
    package: &Package,
    watch: &WatchRow,
    snapshot: &Snapshot,
    report: &mut CheckReport,
) -> Result<()> {
    let stored = state.store.releases(package.id).await?;
    if snapshot.versions.is_empty() && stored.iter().any(|r| r.state == ReleaseState::Announced) {
        // A registry never lists no versions for a package it serves; treat it as a
        // bad answer rather than withdraw every post.
        return Err(WatchError::NoVersions);
    }
    let mut package = package.clone();
    let hash = metadata_hash(&snapshot.metadata);
    if watch.metadata_hash.as_deref() != Some(hash.as_str()) {
        let meta = packages::meta_from(&snapshot.metadata);
        if meta != package.meta {
            state.store.update_package_meta(package.id, &meta).await?;
            package.meta = meta;
            // Followers see the new profile; not on the baseline (nothing changed for them).
            if watch.baseline_done {
                let doc = actor::package_actor(&state.urls, state.settings.actor_type, &package);
                let update = activities::actor_update(
                    &state.urls.actor(&package.handle),
                    &state.urls.actor_sub(&package.handle, "followers"),
                    doc,
                    &hash,
                );
                outbox::send(state, &package, &update, publishing::followers(&package)).await?;
            }
        }
    }
    let actions = diff(
        package.ecosystem,
        &stored,
        &snapshot.versions,
        !watch.baseline_done,
        state.settings.watch.prereleases,
    );
    let now = state.clock.now_ms();
    let actor_url = state.urls.actor(&package.handle);
    for action in actions {
        match action {
            Action::Record(row) => state.store.put_release(package.id, &row, now).await?,
            Action::Announce(mut row) => {
                announce(state, adapter, &package, snapshot, &mut row).await?;
                state.store.put_release(package.id, &row, now).await?;
                state.events.publish(Event::ReleasePublished {
                    package: actor_url.clone(),
                    version: row.version.clone(),
                    note_id: row.note_id.clone().unwrap_or_default(),
                });
                report.announced.push(row.version);
            }
            Action::Withdraw { note_id, row } => {
                publishing::delete_note(state, &package, &note_id).await?;
                state.store.put_release(package.id, &row, now).await?;
                state.events.publish(Event::ReleaseYanked {
                    package: actor_url.clone(),
                    version: row.version.clone(),
                    note_id,
                });
                report.withdrawn.push(row.version);
            }
            Action::Deprecate { note_id, row } => {
                if let Some(p) = state.store.post(&note_id).await? {
                    let mut note: serde_json::Value =
                        serde_json::from_str(&p.object).unwrap_or_default();
                    let facts = facts(adapter, &package, snapshot, &row);
                    let generation = generation_of(&row);
                    let fresh = release::release_note(
                        &state.urls,
                        &release::ReleaseFacts {
                            generation,
                            ..facts
                        },
                        now / 1000,
                    );
                    note["content"] = fresh["content"].clone();
                    note["attachment"] = fresh["attachment"].clone();
                    note["updated"] = fresh["updated"].clone();
                    publishing::update_note(state, &package, p, &note, "deprecated").await?;
                }
                state.store.put_release(package.id, &row, now).await?;
                report.deprecated.push(row.version);
            }
        }
    }
    Ok(())
}

/// The generation of a row's live post (posts_made counts posts already made).
fn generation_of(row: &ReleaseRow) -> i64 {
    (row.posts_made - 1).max(0)
}

fn facts<'a>(
    adapter: &dyn RegistryAdapter,
    package: &'a Package,
    snapshot: &'a Snapshot,
    row: &'a ReleaseRow,
) -> release::ReleaseFacts<'a> {
    let id = PackageId::new(package.ecosystem, &package.name).ok();
    release::ReleaseFacts {
        package,
        version: &row.version,
        prerelease: versions::is_prerelease(package.ecosystem, &row.version),
        published_at: row.published_at,
        page_url: id.and_then(|id| adapter.package_page(&id, Some(&row.version))),
        changelog: snapshot.metadata.changelog.clone(),
        deprecated: row.deprecated.as_deref(),
        generation: row.posts_made,
    }
}

async fn announce(
    state: &Watcher,
    adapter: &dyn RegistryAdapter,
    package: &Package,
    snapshot: &Snapshot,
    row: &mut ReleaseRow,
) -> Result<()> {
    let now = state.clock.now_ms();
    let note = {
        let f = facts(adapter, package, snapshot, row);
        release::release_note(&state.urls, &f, now / 1000)
    };
    let note_id =
        publishing::publish_note(state, package, &note, "release", Some(&row.version)).await?;
    row.note_id = Some(note_id);
    row.posts_made += 1;
    row.state = ReleaseState::Announced;
    Ok(())
}
