//! A small reader for the two feed formats adapters meet: RSS 2.0 (PyPI's
//! registry-wide updates feed, many release feeds) and Atom (forge release feeds).
//! It keeps only what adapters use: the feed's title and link, and each entry's
//! title, link and date.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::rfc3339_secs;
use crate::adapter::RegistryError;

/// A parsed feed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Feed {
    pub title: Option<String>,
    pub link: Option<String>,
    pub entries: Vec<Entry>,
}

/// One RSS `<item>` or Atom `<entry>`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Entry {
    pub title: String,
    pub link: Option<String>,
    /// Atom `published` (else `updated`), RSS `pubDate`, in Unix seconds.
    pub published_at: Option<i64>,
}

/// The text element being read, by where its text goes.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    FeedTitle,
    FeedLink,
    Title,
    Link,
    Published,
    Updated,
    PubDate,
}

/// Parses RSS 2.0 or Atom; other documents are [`RegistryError::Malformed`].
pub(crate) fn parse_feed(bytes: &[u8], what: &str) -> Result<Feed, RegistryError> {
    let malformed = |reason: String| RegistryError::Malformed {
        reason: format!("{what} is not a readable RSS or Atom feed: {reason}"),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut feed = Feed::default();
    let mut root_seen = false;
    // The entry being read, and its Atom dates, which resolve at its end.
    let mut entry: Option<(Entry, Option<i64>, Option<i64>)> = None;
    let mut field: Option<Field> = None;
    let mut buffer = String::new();
    let mut depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(start) => {
                depth += 1;
                let name = local(&start);
                if !root_seen {
                    if name != "rss" && name != "feed" && name != "RDF" {
                        return Err(malformed(format!("the root element is <{name}>")));
                    }
                    root_seen = true;
                }
                if name == "item" || name == "entry" {
                    entry = Some((Entry::default(), None, None));
                    continue;
                }
                field = match (&entry, name.as_str()) {
                    (Some(_), "title") => Some(Field::Title),
                    (Some(_), "link") => {
                        if let Some(href) = atom_link(&start) {
                            set_link(&mut entry, href);
                        }
                        Some(Field::Link)
                    }
                    (Some(_), "published") => Some(Field::Published),
                    (Some(_), "updated") => Some(Field::Updated),
                    (Some(_), "pubDate") => Some(Field::PubDate),
                    (None, "title") if feed.title.is_none() && depth <= 3 => Some(Field::FeedTitle),
                    (None, "link") if feed.link.is_none() && depth <= 3 => {
                        feed.link = atom_link(&start);
                        Some(Field::FeedLink)
                    }
                    _ => None,
                };
                buffer.clear();
            }
            Event::Empty(start) if local(&start) == "link" => match atom_link(&start) {
                Some(href) if entry.is_some() => set_link(&mut entry, href),
                Some(href) if feed.link.is_none() => feed.link = Some(href),
                _ => {}
            },
            Event::Text(t) => buffer.push_str(&t.xml10_content()),
            Event::CData(t) => buffer.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let raw = format!("&{};", r.xml10_content());
                match quick_xml::escape::unescape(&raw) {
                    Ok(s) => buffer.push_str(&s),
                    Err(_) => buffer.push_str(&raw),
                }
            }
            Event::End(end) => {
                depth = depth.saturating_sub(1);
                let name = end.local_name().as_ref().to_owned();
                if name == "item" || name == "entry" {
                    if let Some((mut e, published, updated)) = entry.take() {
                        e.published_at = e.published_at.or(published).or(updated);
                        feed.entries.push(e);
                    }
                    continue;
                }
                let value = buffer.trim().to_owned();
                match (field.take(), &mut entry) {
                    (Some(Field::FeedTitle), _) => feed.title = Some(value),
                    (Some(Field::FeedLink), _) if !value.is_empty() => feed.link = Some(value),
                    (Some(Field::Title), Some((e, ..))) => e.title = value,
                    (Some(Field::Link), Some((e, ..))) if !value.is_empty() => e.link = Some(value),
                    (Some(Field::PubDate), Some((e, ..))) => e.published_at = rfc2822_secs(&value),
                    (Some(Field::Published), Some((_, p, _))) => *p = rfc3339_secs(&value),
                    (Some(Field::Updated), Some((_, _, u))) => *u = rfc3339_secs(&value),
                    _ => {}
                }
                buffer.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(malformed("the document is empty".into()));
    }
    Ok(feed)
}

fn local(start: &BytesStart<'_>) -> String {
    start.local_name().as_ref().to_owned()
}

/// An Atom `<link href>` that points at the page (no `rel`, or `alternate`).
fn atom_link(start: &BytesStart<'_>) -> Option<String> {
    let mut href = None;
    let mut rel = None;
    for attr in start.attributes().flatten() {
        let value = attr
            .normalized_value(quick_xml::XmlVersion::default())
            .ok()?
            .into_owned();
        match attr.key.local_name().as_ref() {
            "href" => href = Some(value),
            "rel" => rel = Some(value),
            _ => {}
        }
    }
    match rel.as_deref() {
        None | Some("alternate") => href,
        Some(_) => None,
    }
}

fn set_link(entry: &mut Option<(Entry, Option<i64>, Option<i64>)>, href: String) {
    if let Some((e, ..)) = entry
        && e.link.is_none()
    {
        e.link = Some(href);
    }
}

/// Parses an RFC 2822 date (RSS `pubDate`) into Unix seconds. Accepts the
/// obsolete zone names (`GMT`, `UT`) the `time` crate's parser supports, and
/// falls back to RFC 3339, which some feeds use instead.
pub(crate) fn rfc2822_secs(s: &str) -> Option<i64> {
    let s = s.trim();
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822)
        .ok()
        .map(|t| t.unix_timestamp())
        .or_else(|| rfc3339_secs(s))
}
