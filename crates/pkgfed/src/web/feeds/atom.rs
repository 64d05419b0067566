//! The Atom (RFC 4287) rendering of a package's feed, with `atom_syndication`.

use atom_syndication::{
    Category, Content, Entry as AtomEntry, Feed, FixedDateTime, Generator, Link, Person, Text,
};

use super::FeedMeta;
use super::entries::PackageFeed;
use crate::posts::release::rfc3339;

/// An RFC 3339 time of a Unix time (seconds); the epoch when out of range.
fn at(unix: i64) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&rfc3339(unix)).unwrap_or_default()
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    }
}

/// The feed as an Atom document.
pub fn render(meta: &FeedMeta, feed: &PackageFeed) -> String {
    let entries = feed
        .entries
        .iter()
        .map(|e| AtomEntry {
            title: Text::plain(e.title.clone()),
            id: e.id.clone(),
            updated: at(e.updated),
            published: Some(at(e.published)),
            links: vec![link(&e.link, "alternate", Some("text/html"))],
            categories: vec![Category {
                term: e.kind.as_str().to_owned(),
                ..Category::default()
            }],
            content: Some(Content {
                value: Some(e.html.clone()),
                content_type: Some("html".to_owned()),
                ..Content::default()
            }),
            ..AtomEntry::default()
        })
        .collect();
    let atom = Feed {
        title: Text::plain(meta.title.clone()),
        id: meta.atom_url.clone(),
        updated: at(feed.updated),
        authors: vec![Person {
            name: meta.author.clone(),
            uri: Some(meta.page_url.clone()),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "pkgfed".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            uri: None,
        }),
        links: vec![
            link(&meta.atom_url, "self", Some("application/atom+xml")),
            link(&meta.page_url, "alternate", Some("text/html")),
        ],
        subtitle: Some(Text::plain(meta.description.clone())),
        entries,
        ..Feed::default()
    };
    atom.to_string()
}
