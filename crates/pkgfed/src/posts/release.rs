//! The release post: the `Note` of a new version, revised for an npm deprecation.
//! Its `Create`, `Update` (deprecation) and `Delete` (a yank), and the actor
//! `Update` for changed metadata, are built by [`crate::federation::activities`].
//!
//! Ids are stable, so a crash between publishing and recording repeats the same
//! activity id and the durable queue ignores the repeat:
//! - the Note: `<actor>/releases/<version>`, and `<actor>/releases/<version>/<n>` for
//!   the n-th post after an un-yank (Mastodon refuses to revive a deleted id);
//! - its activities: `<note>#create`, `<note>#delete`, `<note>#deprecated`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::federation::activities::{Hashtag, Note, hashtag_paragraph};
use crate::federation::html::escape;
use crate::federation::rfc3339_opt;
use crate::federation::urls::Urls;
use crate::store::Package;

/// Characters kept as they are in a version path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// What a release post says.
#[derive(Clone, Debug)]
pub struct ReleaseFacts<'a> {
    /// The package.
    pub package: &'a Package,
    /// The version.
    pub version: &'a str,
    /// A prerelease by the ecosystem's rules.
    pub prerelease: bool,
    /// Publish time (Unix seconds) from the registry.
    pub published_at: Option<i64>,
    /// Registry page of this version.
    pub page_url: Option<String>,
    /// Changelog URL, when known.
    pub changelog: Option<String>,
    /// npm deprecation message.
    pub deprecated: Option<&'a str>,
    /// Post generation: 0 for the first post of a version, n after the n-th un-yank.
    pub generation: i64,
}

/// The Note's id.
pub fn note_id(urls: &Urls, package: &Package, version: &str, generation: i64) -> String {
    let v = utf8_percent_encode(version, SEGMENT);
    if generation == 0 {
        format!("{}/releases/{v}", urls.actor(&package.handle))
    } else {
        format!("{}/releases/{v}/{generation}", urls.actor(&package.handle))
    }
}

/// A hashtag's name: ASCII letters, digits and `_` (what Mastodon links).
pub fn hashtag(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            '_' => Some('_'),
            _ => None,
        })
        .collect()
}

/// The hashtags of `names`, linked to the instance's tag pages.
pub fn hashtags(urls: &Urls, names: &[String]) -> Vec<Hashtag> {
    names.iter().map(|t| Hashtag::new(urls, t)).collect()
}

/// The tags of a release post: ecosystem, package, `release`, `prerelease`.
pub fn release_tags(package: &Package, prerelease: bool) -> Vec<String> {
    let mut tags = vec![package.ecosystem.as_str().to_owned()];
    let name = hashtag(&package.name);
    if !name.is_empty() && !tags.contains(&name) {
        tags.push(name);
    }
    tags.push("release".into());
    if prerelease {
        tags.push("prerelease".into());
    }
    tags
}

/// The package URL with a version (`pkg:cargo/serde@1.0.217`).
pub fn versioned_purl(p: &Package, version: &str) -> String {
    pkgfed_registries::PackageId::new(p.ecosystem, &p.name)
        .map(|id| id.purl_with_version(version))
        .unwrap_or_else(|_| format!("{}@{version}", p.purl))
}

/// RFC 3339 text of a Unix time (seconds); empty when out of range.
pub fn rfc3339(unix: i64) -> String {
    rfc3339_opt(unix).unwrap_or_default()
}

fn http_url(u: &Option<String>) -> Option<&str> {
    u.as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

fn anchor(url: &str, text: &str) -> String {
    format!(
        r#"<a href="{}" rel="nofollow noopener noreferrer" target="_blank">{}</a>"#,
        escape(url),
        escape(text)
    )
}

/// The Note of a release.
pub fn release_note(urls: &Urls, f: &ReleaseFacts<'_>, now_unix: i64) -> Value {
    let p = f.package;
    let actor = urls.actor(&p.handle);
    let id = note_id(urls, p, f.version, f.generation);
    let title = if f.prerelease {
        "prerelease published"
    } else {
        "released"
    };
    let mut content = format!(
        "<p><strong>{} {}</strong> {title}</p>",
        escape(&p.name),
        escape(f.version)
    );
    if let Some(d) = p
        .meta
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        content.push_str(&format!("<p>{}</p>", escape(d.trim())));
    }
    if let Some(msg) = f.deprecated {
        content.push_str(&format!(
            "<p>⚠️ This version is deprecated: {}</p>",
            escape(msg)
        ));
    }
    let mut links = Vec::new();
    if let Some(u) = f.page_url.as_deref() {
        links.push(anchor(
            u,
            &format!("{} {} on the registry", p.name, f.version),
        ));
    }
    if let Some(u) = http_url(&f.changelog) {
        links.push(anchor(u, "Changelog"));
    }
    if let Some(u) = http_url(&p.meta.repository) {
        links.push(anchor(u, "Repository"));
    }
    if !links.is_empty() {
        content.push_str(&format!("<p>{}</p>", links.join(" · ")));
    }
    let tags = hashtags(urls, &release_tags(p, f.prerelease));
    content.push_str(&hashtag_paragraph(&tags));
    let mut attachment = vec![
        ("Version".to_owned(), f.version.to_owned()),
        ("Package URL".to_owned(), versioned_purl(p, f.version)),
    ];
    if let Some(msg) = f.deprecated {
        attachment.push(("Deprecated".to_owned(), msg.to_owned()));
    }
    Note {
        url: f.page_url.clone().unwrap_or_else(|| id.clone()),
        id,
        actor,
        followers: urls.actor_sub(&p.handle, "followers"),
        content,
        published: Some(rfc3339(f.published_at.unwrap_or(now_unix))),
        updated: f.deprecated.map(|_| rfc3339(now_unix)),
        tags,
        attachment,
        ..Note::default()
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::activities::{PUBLIC, create};
    use crate::store::PackageMeta;
    use pkgfed_registries::Ecosystem;

    fn package() -> Package {
        Package {
            id: 1,
            ecosystem: Ecosystem::Cargo,
            name_key: "serde".into(),
            name: "serde".into(),
            handle: "serde".into(),
            purl: "pkg:cargo/serde".into(),
            meta: PackageMeta {
                description: Some("A <generic> serialization framework".into()),
                repository: Some("https://forge.test/serde-rs/serde".into()),
                ..PackageMeta::default()
            },
            private_key_pem: String::new(),
            public_key_pem: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn release_note_has_the_plan_fields_and_escapes_text() {
        let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
        let p = package();
        let facts = ReleaseFacts {
            package: &p,
            version: "1.0.217",
            prerelease: false,
            published_at: Some(1_700_000_000),
            page_url: Some("https://registry.test/crates/serde/1.0.217".into()),
            changelog: None,
            deprecated: None,
            generation: 0,
        };
        let note = release_note(&urls, &facts, 1_800_000_000);
        assert_eq!(
            note["id"],
            "https://pkgs.example.org/packages/serde/releases/1.0.217"
        );
        assert_eq!(note["cc"][0], PUBLIC);
        assert_eq!(note["published"], "2023-11-14T22:13:20Z");
        let content = note["content"].as_str().unwrap();
        assert!(content.contains("&lt;generic&gt;"), "{content}");
        assert!(content.contains("https://registry.test/crates/serde/1.0.217"));
        assert!(content.contains("#<span>release</span>"));
        assert_eq!(note["attachment"][1]["value"], "pkg:cargo/serde@1.0.217");
        let names: Vec<_> = note["tag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["#cargo", "#serde", "#release"]);
        let create = create(&note);
        assert_eq!(
            create["id"],
            "https://pkgs.example.org/packages/serde/releases/1.0.217#create"
        );
        assert_eq!(create["object"], note);
    }

    #[test]
    fn regenerated_posts_and_odd_versions_get_distinct_path_safe_ids() {
        let urls = Urls::new(&url::Url::parse("https://pkgs.example.org").unwrap());
        let p = package();
        assert_eq!(
            note_id(&urls, &p, "1.0.0+build/5", 2),
            "https://pkgs.example.org/packages/serde/releases/1.0.0+build%2F5/2"
        );
        assert_ne!(
            note_id(&urls, &p, "1.0.0", 0),
            note_id(&urls, &p, "1.0.0", 1)
        );
    }
}
