//! What templates show, computed from store records: a package's follow card, its
//! releases and its advisories. Shared by the pages and the feeds.

use pkgfed_registries::PackageId;
use pkgfed_registries::advisories::model::Advisory;

use crate::federation::urls::Urls;
use crate::posts::advisory::{AdvisoryFacts, advisory_note_id};
use crate::store::Package;
use crate::store::pages::{PackageAdvisory, RecentRelease};
use crate::store::watch::ReleaseState;

/// A package's name, handle and the ways to follow it.
pub struct Card {
    /// Display name, or the registry's name.
    pub name: String,
    /// Ecosystem.
    pub ecosystem: String,
    /// Description, when known.
    pub description: Option<String>,
    /// The local handle (`cargo.serde`).
    pub handle: String,
    /// `@cargo.serde@host`: what to search for on a fediverse server.
    pub fediverse_handle: String,
    /// The actor URL (also the package page).
    pub actor_url: String,
    /// The package page.
    pub page_url: String,
}

impl Card {
    /// The card of `package`.
    pub fn of(urls: &Urls, package: &Package) -> Self {
        let actor_url = urls.actor(&package.handle);
        Card {
            name: package
                .meta
                .display_name
                .clone()
                .unwrap_or_else(|| package.name.clone()),
            ecosystem: package.ecosystem.to_string(),
            description: package.meta.description.clone(),
            handle: package.handle.clone(),
            fediverse_handle: format!("@{}@{}", package.handle, urls.host()),
            page_url: actor_url.clone(),
            actor_url,
        }
    }
}

/// One release line.
pub struct ReleaseView {
    /// The version.
    pub version: String,
    /// Its post's page, while it has a live post.
    pub url: Option<String>,
    /// Withdrawn by its publisher.
    pub yanked: bool,
    /// A prerelease by the ecosystem's rules.
    pub prerelease: bool,
    /// Publish date (`YYYY-MM-DD`), when the registry gave one.
    pub date: Option<String>,
    /// Deprecation message.
    pub deprecated: Option<String>,
}

impl ReleaseView {
    /// The view of a stored release.
    pub fn of(r: &RecentRelease) -> Self {
        ReleaseView {
            version: r.row.version.clone(),
            url: r.row.note_id.clone(),
            yanked: r.row.state == ReleaseState::Yanked,
            prerelease: r.row.prerelease,
            date: r.row.published_at.and_then(date),
            deprecated: r.row.deprecated.clone(),
        }
    }
}

/// One advisory, as the package page and the feeds show it.
pub struct AdvisoryView {
    /// Canonical id.
    pub id: String,
    /// Its post's page, when pkgfed posted it.
    pub url: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Severity in words (`9.8 Critical (CVSS:3.1/…)`, `High`, `not rated`).
    pub severity: String,
    /// Fixed versions, comma-separated, or `no fixed version yet`.
    pub fixed: String,
    /// Withdrawn by its source.
    pub withdrawn: bool,
    /// Last modified (Unix seconds).
    pub modified: i64,
    /// When pkgfed stored its last change (Unix ms).
    pub stored_at: i64,
    /// Reference links.
    pub references: Vec<String>,
    /// The Note id it has or would have (stable; the feeds' entry id).
    pub note_id: String,
}

impl AdvisoryView {
    /// The view of a stored advisory naming `package`; `None` when its record no
    /// longer parses (logged).
    pub fn of(urls: &Urls, package: &Package, a: &PackageAdvisory) -> Option<Self> {
        let id = &a.advisory.advisory_id;
        let adv = match Advisory::from_osv_json(a.advisory.record.as_bytes(), id) {
            Ok(adv) => adv,
            Err(e) => {
                tracing::warn!(advisory = %id, error = %e, "stored advisory does not parse");
                return None;
            }
        };
        let pid = PackageId::new(package.ecosystem, &package.name).ok()?;
        let f: AdvisoryFacts = crate::watch::advisories::facts(id, &adv, &pid);
        let severity = match (f.cvss_score, f.cvss_vector.as_deref()) {
            (Some(s), Some(v)) => format!(
                "{s:.1} {} ({v})",
                pkgfed_registries::advisories::cvss::Rating::of(s).as_str()
            ),
            (None, Some(v)) => adv
                .severity_label()
                .map_or(v.to_owned(), |l| format!("{} ({v})", title_case(l))),
            _ => match (adv.severity_label(), adv.informational()) {
                (Some(l), _) => title_case(l),
                (None, Some(i)) => format!("informational: {i}"),
                (None, None) => "not rated".to_owned(),
            },
        };
        Some(AdvisoryView {
            id: id.clone(),
            url: a.note_id.clone(),
            summary: f.summary.clone(),
            severity,
            fixed: if f.fixed.is_empty() {
                "no fixed version yet".to_owned()
            } else {
                f.fixed.join(", ")
            },
            withdrawn: a.advisory.withdrawn,
            modified: a.advisory.modified,
            stored_at: a.stored_at,
            references: f.references.clone(),
            note_id: advisory_note_id(urls, package, id),
        })
    }
}

/// `HIGH` → `High`, `MODERATE` → `Moderate`.
fn title_case(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `YYYY-MM-DD` of a Unix time in seconds.
pub fn date(unix: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        t.year(),
        u8::from(t.month()),
        t.day()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_words() {
        assert_eq!(date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(date(1_767_225_600).as_deref(), Some("2026-01-01"));
        assert_eq!(title_case("MODERATE"), "Moderate");
        assert_eq!(title_case(""), "");
    }
}
