//! A package's feed entries, whatever the format: one per release, one more per
//! yank (so a reader that saw the release also sees its withdrawal), one per
//! advisory. Built from the same bounded store queries as the package page.

use crate::error::Result;
use crate::federation::html::escape;
use crate::posts::release::note_id;
use crate::store::Package;
use crate::store::watch::ReleaseState;
use crate::web::AppState;
use crate::web::pages::package::recent;
use crate::web::pages::views::AdvisoryView;

/// What an entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A published version.
    Release,
    /// A version withdrawn by its publisher.
    Yank,
    /// A security advisory.
    Advisory,
}

impl EntryKind {
    /// The entry's category term.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Release => "release",
            EntryKind::Yank => "yank",
            EntryKind::Advisory => "advisory",
        }
    }
}

/// One feed entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Stable id (a URL).
    pub id: String,
    /// What it is about.
    pub kind: EntryKind,
    /// Title (plain text).
    pub title: String,
    /// Where to read more.
    pub link: String,
    /// The entry's content, HTML with every value escaped.
    pub html: String,
    /// When it was published (Unix seconds).
    pub published: i64,
    /// When it last changed, as its source says (Unix seconds).
    pub updated: i64,
    /// When pkgfed learned of it (Unix seconds): what the feed's Last-Modified is
    /// made of, since a source's own dates can be older (or later) than that.
    pub learned: i64,
}

/// A package's feed: its entries, newest first.
pub struct PackageFeed {
    /// Entries, newest `updated` first.
    pub entries: Vec<Entry>,
    /// The newest `learned` (or the package's creation): the feed's Last-Modified.
    pub updated: i64,
}

/// The feed of `package`.
pub async fn package_feed(state: &AppState, package: &Package) -> Result<PackageFeed> {
    let page = state.urls.actor(&package.handle);
    let (releases, advisories) = recent(state, package).await?;
    let mut entries = Vec::new();
    for r in &releases {
        let v = &r.row.version;
        let id = note_id(&state.urls, package, v, 0);
        let link = r
            .row
            .note_id
            .clone()
            .unwrap_or_else(|| format!("{page}#v-{v}"));
        let published = r.row.published_at.unwrap_or(r.seen_at / 1000);
        let mut html = format!(
            "<p>{} {} was released.</p>",
            escape(&package.name),
            escape(v)
        );
        if r.row.prerelease {
            html.push_str("<p>This is a prerelease.</p>");
        }
        if let Some(d) = &r.row.deprecated {
            html.push_str(&format!("<p>Deprecated: {}</p>", escape(d)));
        }
        entries.push(Entry {
            id: id.clone(),
            kind: EntryKind::Release,
            title: format!(
                "{} {v}{}",
                package.name,
                if r.row.prerelease {
                    " (prerelease)"
                } else {
                    ""
                }
            ),
            link: link.clone(),
            html,
            published,
            updated: published,
            learned: r.seen_at / 1000,
        });
        if r.row.state == ReleaseState::Yanked {
            let learned = r.yanked_at.unwrap_or(r.seen_at) / 1000;
            let yanked = r.yanked_at.map_or(published, |ms| ms / 1000);
            entries.push(Entry {
                id: format!("{id}#yanked"),
                kind: EntryKind::Yank,
                title: format!("{} {v} yanked", package.name),
                link: format!("{page}#v-{v}"),
                html: format!(
                    "<p>{} {} was withdrawn (yanked) by its publisher: do not use it.</p>",
                    escape(&package.name),
                    escape(v)
                ),
                published: yanked,
                updated: yanked,
                learned,
            });
        }
    }
    for a in advisories
        .iter()
        .filter_map(|a| AdvisoryView::of(&state.urls, package, a))
    {
        let mut html = format!(
            "<p>Security advisory {} for {}{}.</p>",
            escape(&a.id),
            escape(&package.name),
            if a.withdrawn { " (withdrawn)" } else { "" }
        );
        if let Some(s) = &a.summary {
            html.push_str(&format!("<p>{}</p>", escape(s)));
        }
        html.push_str(&format!(
            "<p>Severity: {}</p><p>Fixed in: {}</p>",
            escape(&a.severity),
            escape(&a.fixed)
        ));
        entries.push(Entry {
            title: format!(
                "Security advisory {} for {}{}{}",
                a.id,
                package.name,
                a.summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
                if a.withdrawn { " (withdrawn)" } else { "" }
            ),
            link: a
                .url
                .clone()
                .or_else(|| {
                    a.references
                        .iter()
                        .find(|u| u.starts_with("https://") || u.starts_with("http://"))
                        .cloned()
                })
                .unwrap_or_else(|| page.clone()),
            id: a.note_id,
            kind: EntryKind::Advisory,
            html,
            published: a.modified,
            updated: a.modified,
            learned: a.stored_at / 1000,
        });
    }
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
    let updated = entries
        .iter()
        .map(|e| e.learned)
        .max()
        .unwrap_or(package.created_at);
    Ok(PackageFeed { entries, updated })
}
