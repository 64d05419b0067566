//! The registry-wide RSS feed of recent releases as a change feed.
//!
//! Each `<item>` is one release: `<title>` is `"{name} {version}"`, `<link>` the
//! release page, `<pubDate>` its RFC 2822 time. The feed holds a fixed number of
//! the newest releases, so a reader that comes back too late misses some: the
//! cursor is the newest `pubDate` seen (Unix seconds, as a string), and the batch
//! reports a gap when there is no cursor or the feed's oldest item is newer than
//! the cursor. Items published in the cursor's own second are reported again,
//! because a release in that second may have appeared after the last read.
//!
//! Yanks never show in this feed: the watcher keeps polling tracked packages at a
//! slower rate to see them.

use crate::adapter::{ChangeBatch, RegistryError};
use crate::adapters::xml::parse_feed;

/// Reads the feed body against `cursor`.
pub(super) fn read(bytes: &[u8], cursor: Option<&str>) -> Result<ChangeBatch, RegistryError> {
    let feed = parse_feed(bytes, "the updates feed")?;
    let since = cursor.and_then(|c| c.trim().parse::<i64>().ok());
    let dated: Vec<(String, i64)> = feed
        .entries
        .iter()
        .filter_map(|e| {
            // The name is everything before the last space: names have no spaces,
            // but be lenient with whatever precedes the version.
            let name = e.title.trim().rsplit_once(' ').map(|(n, _)| n.trim())?;
            Some((name.to_owned(), e.published_at?))
        })
        .collect();
    let newest = dated.iter().map(|(_, t)| *t).max();
    let oldest = dated.iter().map(|(_, t)| *t).min();
    let packages = dated
        .iter()
        .filter(|(_, t)| since.is_none_or(|s| *t >= s))
        .map(|(n, _)| n.clone())
        .collect();
    let gap = match (since, oldest) {
        (None, _) => true,
        (Some(s), Some(o)) => o > s,
        (Some(_), None) => false,
    };
    let cursor = match (newest, since) {
        (Some(n), Some(s)) => Some(n.max(s)),
        (n, s) => n.or(s),
    };
    Ok(ChangeBatch {
        packages,
        cursor: cursor.map(|c| c.to_string()),
        gap,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Registry recent updates</title><link>https://pypi.test/</link>
<item><title>requests 2.33.0</title><link>https://pypi.test/project/requests/2.33.0/</link>
<pubDate>Mon, 23 Nov 2026 12:00:10 GMT</pubDate></item>
<item><title>zope.interface 7.0</title><link>https://pypi.test/project/zope.interface/7.0/</link>
<pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate></item>
<item><title>urllib3 2.9.0</title><link>https://pypi.test/project/urllib3/2.9.0/</link>
<pubDate>Mon, 23 Nov 2026 11:59:00 GMT</pubDate></item>
</channel></rss>"#;
    /// 2026-11-23T12:00:00Z.
    const NOON: i64 = 1_795_435_200;

    #[test]
    fn no_cursor_is_a_gap_and_lists_everything() {
        let batch = read(FEED.as_bytes(), None).unwrap();
        assert_eq!(batch.packages, ["requests", "zope.interface", "urllib3"]);
        assert!(batch.gap);
        assert_eq!(batch.cursor, Some((NOON + 10).to_string()));
    }

    #[test]
    fn a_cursor_inside_the_window_lists_what_is_newer() {
        let batch = read(FEED.as_bytes(), Some(&NOON.to_string())).unwrap();
        assert_eq!(batch.packages, ["requests", "zope.interface"]);
        assert!(!batch.gap);
        let batch = read(FEED.as_bytes(), Some(&(NOON + 10).to_string())).unwrap();
        assert_eq!(
            (batch.packages, batch.gap),
            (vec!["requests".to_owned()], false)
        );
        assert_eq!(batch.cursor, Some((NOON + 10).to_string()));
    }

    #[test]
    fn a_cursor_older_than_the_window_is_a_gap() {
        let batch = read(FEED.as_bytes(), Some(&(NOON - 3600).to_string())).unwrap();
        assert_eq!(batch.packages.len(), 3);
        assert!(batch.gap);
    }

    #[test]
    fn an_empty_feed_keeps_the_cursor() {
        let empty = r#"<rss version="2.0"><channel><title>t</title></channel></rss>"#;
        let batch = read(empty.as_bytes(), Some("42")).unwrap();
        assert_eq!(
            batch,
            ChangeBatch {
                packages: vec![],
                cursor: Some("42".into()),
                gap: false
            }
        );
        assert!(read(b"{\"not\": \"xml\"}", Some("42")).is_err());
        assert!(read(b"<html><body/></html>", Some("42")).is_err());
    }
}
