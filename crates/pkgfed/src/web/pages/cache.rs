//! A microcache of rendered package pages: a page is kept for at most [`TTL`] and
//! dropped as soon as this process records a change a page shows ([`Invalidating`]) (a release, a yank,
//! an advisory, a follower come or gone). A busy package's page is then rendered a
//! few times a second instead of once per request: rendering reads four tables
//! through SQLite's worker threads and costs about ten times a WebFinger answer (see
//! docs/benchmarks.md). Another process's change (cluster mode, a CLI command) shows
//! within [`TTL`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::events::{Event, EventPublisher};
use crate::microcache::Microcache;
use axum::body::Bytes;

/// Longest a cached page is served.
pub const TTL: Duration = Duration::from_secs(1);

/// Most pages kept (when full, expired ones are dropped, else all).
const MAX_PAGES: usize = 4_096;

/// Rendered package pages by handle.
pub struct PageCache {
    pages: Microcache<Bytes>,
    /// Bumped by every [`PageCache::clear`]: a page rendered from data read before a
    /// change is not kept after it.
    generation: AtomicU64,
}

impl Default for PageCache {
    fn default() -> Self {
        Self {
            pages: Microcache::new(TTL, MAX_PAGES),
            generation: AtomicU64::new(0),
        }
    }
}

impl PageCache {
    /// The cached page of `handle`, when fresh.
    pub fn get(&self, handle: &str) -> Option<Bytes> {
        self.pages.get(handle, self.generation())
    }

    /// The generation to pass to [`PageCache::put`]: read it before reading what the
    /// page shows.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `html` as the page of `handle`, unless the cache was cleared since
    /// `generation` was read (the page may show data from before the change; one
    /// kept by a clear racing this put is never served, being of the old generation).
    pub fn put(&self, handle: &str, html: Bytes, generation: u64) {
        if self.generation() == generation {
            self.pages.put(handle, html, generation);
        }
    }

    /// Drops every page.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.pages.clear();
    }
}

/// An [`EventPublisher`] that drops the cached pages, before passing the event on,
/// whenever the event changes what pages show. The events are published right
/// after the store write they report, so a page requested after a change is never
/// one rendered before it (pages rendered meanwhile are not kept: see
/// [`PageCache::put`]).
pub struct Invalidating {
    /// Where the events go.
    pub inner: Arc<dyn EventPublisher>,
    /// The cache to clear.
    pub cache: Arc<PageCache>,
}

impl EventPublisher for Invalidating {
    fn publish(&self, event: Event) {
        if shown_on_pages(&event) {
            self.cache.clear();
        }
        self.inner.publish(event);
    }
}

/// Whether `event` changes something a package page shows.
fn shown_on_pages(event: &Event) -> bool {
    matches!(
        event,
        Event::FollowAccepted { .. }
            | Event::FollowerRemoved { .. }
            | Event::ReleasePublished { .. }
            | Event::ReleaseYanked { .. }
            | Event::AdvisoryPublished { .. }
            | Event::AdvisoryUpdated { .. }
            | Event::AdvisoryWithdrawn { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_expire_and_are_bounded() {
        let c = PageCache::default();
        c.put("cargo.serde", Bytes::from_static(b"<html>"), c.generation());
        assert_eq!(c.get("cargo.serde").as_deref(), Some(&b"<html>"[..]));
        assert!(c.get("cargo.log").is_none());
        c.clear();
        assert!(c.get("cargo.serde").is_none());
        for i in 0..(MAX_PAGES + 10) {
            c.put(&format!("p{i}"), Bytes::new(), c.generation());
        }
        assert!(c.pages.len() <= MAX_PAGES);
    }

    #[test]
    fn a_page_rendered_before_a_change_is_not_kept() {
        let c = PageCache::default();
        let before = c.generation();
        c.clear(); // a release was published while the page was being rendered
        c.put("cargo.serde", Bytes::from_static(b"old"), before);
        assert!(c.get("cargo.serde").is_none());
    }
}
