//! The registry-wide RSS feed of recent releases as a change feed.
//!
//! Each `<item>` is one release: `<title>` is `"{name} {version}"`, `<link>` the
//! release page, `<pubDate>` its RFC 2822 time. The feed holds a fixed number of
//! the newest releases, so a reader that comes back too late misses some: the
//! cursor is the newest `pubDate` seen (Unix seconds, as a string), and the batch
//! reports a gap when there is no cursor or the feed's oldest item is newer than
//! the cursor. A release in the cursor's own second may appear after the last read,
//! so the cursor also lists the items of that second already reported (one title
//! per line after the seconds): those are not reported again, new ones are.
//!
//! Yanks never show in this feed: the watcher keeps polling tracked packages at a
//! slower rate to see them.

use crate::adapter::{ChangeBatch, RegistryError};
use crate::adapters::xml::parse_feed;

/// Reads the feed body against `cursor`.
pub(crate) fn read(bytes: &[u8], cursor: Option<&str>) -> Result<ChangeBatch, RegistryError> {
    let feed = parse_feed(bytes, "the updates feed")?;
    let mut lines = cursor.unwrap_or_default().lines();
    let since = lines.next().and_then(|c| c.trim().parse::<i64>().ok());
    let seen: Vec<&str> = lines.collect();
    let dated: Vec<(String, String, i64)> = feed
        .entries
        .iter()
        .filter_map(|e| {
            // The name is everything before the last space: names have no spaces,
            // but be lenient with whatever precedes the version.
            let title = e.title.trim();
            let name = title.rsplit_once(' ').map(|(n, _)| n.trim())?;
            Some((name.to_owned(), title.to_owned(), e.published_at?))
        })
        .collect();
    let newest = dated.iter().map(|(_, _, t)| *t).max();
    let oldest = dated.iter().map(|(_, _, t)| *t).min();
    let is_new = |title: &str, t: i64| match since {
        None => true,
        Some(s) => t > s || (t == s && !seen.contains(&title)),
    };
    let packages = dated
        .iter()
        .filter(|(_, title, t)| is_new(title, *t))
        .map(|(n, _, _)| n.clone())
        .collect();
    let gap = match (since, oldest) {
        (None, _) => true,
        (Some(s), Some(o)) => o > s,
        (Some(_), None) => false,
    };
    let cursor = match (newest, since) {
        (Some(n), Some(s)) if s > n => cursor.map(str::to_owned),
        (Some(n), since) => {
            let mut c = n.to_string();
            let mut titles: Vec<&str> = dated
                .iter()
                .filter(|(_, _, t)| *t == n)
                .map(|(_, title, _)| title.as_str())
                .collect();
            if since == Some(n) {
                titles.extend(seen.iter().copied());
            }
            titles.sort_unstable();
            titles.dedup();
            for t in titles {
                c.push('\n');
                c.push_str(t);
            }
            Some(c)
        }
        // An empty feed and no cursor: everything from now on is new.
        (None, None) => Some(unix_now().to_string()),
        (None, Some(_)) => cursor.map(str::to_owned),
    };
    Ok(ChangeBatch {
        packages,
        cursor,
        gap,
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {

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
        assert_eq!(
            batch.cursor,
            Some(format!("{}\nrequests 2.33.0", NOON + 10))
        );
    }

    #[test]
    fn a_cursor_inside_the_window_lists_what_is_newer() {
        let batch = read(FEED.as_bytes(), Some(&NOON.to_string())).unwrap();
        assert_eq!(batch.packages, ["requests", "zope.interface"]);
        assert!(!batch.gap);
        // A bare-seconds cursor reports its own second again: a release in it may
        // have appeared after the last read.
        let batch = read(FEED.as_bytes(), Some(&(NOON + 10).to_string())).unwrap();
        assert_eq!(
            (batch.packages, batch.gap),
            (vec!["requests".to_owned()], false)
        );
        // The cursor remembers what it reported in that second: not again.
        let cursor = batch.cursor.unwrap();
        assert_eq!(cursor, format!("{}\nrequests 2.33.0", NOON + 10));
        let batch = read(FEED.as_bytes(), Some(&cursor)).unwrap();
        assert!(batch.packages.is_empty(), "{:?}", batch.packages);
        assert_eq!(batch.cursor.as_deref(), Some(cursor.as_str()));
        // A new release in the same second is reported.
        let more = FEED.replace(
            "<item><title>requests 2.33.0",
            "<item><title>idna 3.99</title><pubDate>Mon, 23 Nov 2026 12:00:10 GMT</pubDate></item><item><title>requests 2.33.0",
        );
        let batch = read(more.as_bytes(), Some(&cursor)).unwrap();
        assert_eq!(batch.packages, ["idna"]);
        assert_eq!(
            batch.cursor,
            Some(format!("{}\nidna 3.99\nrequests 2.33.0", NOON + 10))
        );
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
