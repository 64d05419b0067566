//! The HTML view of a post at its Note id (`/packages/{handle}/releases/{version}`,
//! `/packages/{handle}/advisories/{id}`): the same Note an ActivityPub client gets,
//! for a person — its content warning, content, date and attached facts.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{Site, render};
use crate::store::Package;
use crate::web::AppState;

/// A `PropertyValue` attachment of the Note.
pub struct Fact {
    /// Its name.
    pub label: String,
    /// Its value.
    pub value: String,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage<'a> {
    site: Site<'a>,
    title: &'a str,
    note_id: &'a str,
    package_name: &'a str,
    package_url: String,
    published: Option<String>,
    warning: Option<String>,
    /// The Note's HTML, composed by pkgfed with every value escaped (see `posts`).
    content: &'a str,
    facts: Vec<Fact>,
}

/// The page of `note` (pkgfed's own stored Note), by `package`.
pub fn page(state: &AppState, package: &Package, title: &str, note: &Value) -> Response {
    let text = |k: &str| note[k].as_str().map(str::to_owned);
    let facts = note["attachment"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some(Fact {
                        label: p["name"].as_str()?.to_owned(),
                        value: p["value"].as_str()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let page = PostPage {
        site: Site::of(state),
        title,
        note_id: note["id"].as_str().unwrap_or_default(),
        package_name: &package.name,
        package_url: state.urls.actor(&package.handle),
        published: text("published"),
        warning: text("summary").filter(|_| note["sensitive"] == Value::Bool(true)),
        content: note["content"].as_str().unwrap_or_default(),
        facts,
    };
    render(StatusCode::OK, &page)
}
