//! The JSON Feed 1.1 rendering of a package's feed.

use serde::Serialize;

use super::FeedMeta;
use super::entries::PackageFeed;
use crate::posts::release::rfc3339;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    authors: [Author<'a>; 1],
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    date_published: String,
    date_modified: String,
    tags: [&'static str; 1],
}

/// The feed as a JSON Feed 1.1 document.
pub fn render(meta: &FeedMeta, feed: &PackageFeed) -> String {
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.page_url,
        feed_url: &meta.json_url,
        description: &meta.description,
        authors: [Author {
            name: &meta.author,
            url: &meta.page_url,
        }],
        items: feed
            .entries
            .iter()
            .map(|e| Item {
                id: &e.id,
                url: &e.link,
                title: &e.title,
                content_html: &e.html,
                date_published: rfc3339(e.published),
                date_modified: rfc3339(e.updated),
                tags: [e.kind.as_str()],
            })
            .collect(),
    };
    serde_json::to_string(&doc).unwrap_or_default()
}
