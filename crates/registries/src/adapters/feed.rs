//! Releases feeds: projects outside any registry, followed through one Atom or
//! RSS 2.0 feed per package (a forge's releases or tags feed, a project blog's
//! release category).
//!
//! Every entry is a version. Its version is read from the entry title
//! ([`version_from_title`]: `v1.2.3`, `Release 1.2.3`, `tool 1.2.3: notes`), its
//! time from Atom `published` (else `updated`) or RSS `pubDate`, and its link is
//! the version's page. The feed's title becomes the package description. Feeds
//! cannot yank or deprecate.
//!
//! The adapter serves whichever ecosystem it is configured for: the feeds name
//! packages in that ecosystem's namespace.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use url::Url;

use super::http::{Fetched, HttpClient, HttpSettings};
use super::xml::parse_feed;
use super::{ConfigError, check_base, render_page};
use crate::adapter::{
    CheckOutcome, PackageMetadata, RegistryAdapter, RegistryError, Snapshot, Validators,
    VersionInfo,
};
use crate::{Ecosystem, PackageId, RateLimiter};

/// Configuration of a [`FeedAdapter`].
#[derive(Clone, Debug)]
pub struct FeedConfig {
    /// The ecosystem the feeds' packages are named in.
    pub ecosystem: Ecosystem,
    /// Package name → its releases feed.
    pub feeds: BTreeMap<String, Url>,
    /// Package page template with `{name}` and `{version}`; without one, pages are
    /// the feed's own links.
    pub page_template: Option<String>,
    /// The request budget shared by all these feeds.
    pub limiter: Arc<RateLimiter>,
    /// User agent, timeouts and body limit.
    pub http: HttpSettings,
}

/// Follows packages through their releases feeds (see the module docs).
#[derive(Debug)]
pub struct FeedAdapter {
    ecosystem: Ecosystem,
    /// Package key → (configured name, feed).
    feeds: HashMap<String, (String, Url)>,
    page_template: Option<String>,
    http: HttpClient,
    /// Links the feeds gave, by package key and version (`None`: the feed's own
    /// link), for [`RegistryAdapter::package_page`].
    links: Mutex<HashMap<(String, Option<String>), String>>,
}

impl FeedAdapter {
    /// Builds the adapter; fails on invalid package names or feed URLs.
    pub fn new(config: FeedConfig) -> Result<Self, ConfigError> {
        let mut feeds = HashMap::new();
        for (name, url) in config.feeds {
            let package = PackageId::new(config.ecosystem, &name)
                .map_err(|e| ConfigError(format!("feed for {name:?}: {e}")))?;
            check_base(&format!("the feed of {name}"), &url)?;
            feeds.insert(package.key(), (name, url));
        }
        Ok(FeedAdapter {
            ecosystem: config.ecosystem,
            feeds,
            page_template: config.page_template,
            http: HttpClient::new(&config.http, config.limiter)?,
            links: Mutex::new(HashMap::new()),
        })
    }

    fn remember_links(&self, key: &str, feed_link: Option<&str>, versions: &[(String, String)]) {
        let mut links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(link) = feed_link {
            links.insert((key.to_owned(), None), link.to_owned());
        }
        for (version, link) in versions {
            links.insert((key.to_owned(), Some(version.clone())), link.clone());
        }
    }
}

/// Whether a word reads as a version: digits first (after an optional `v`),
/// then digits, letters, `.`, `-`, `+` and `_`.
fn looks_like_version(word: &str) -> bool {
    let word = word.strip_prefix(['v', 'V']).unwrap_or(word);
    word.starts_with(|c: char| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
}

/// The version an entry title announces: the first word that looks like a
/// version, without a leading `v` and trailing punctuation, after dropping the
/// package name and a `Release`/`Version` prefix; the whole title otherwise.
pub fn version_from_title<'a>(title: &'a str, package: &str) -> String {
    let title = title.trim();
    let mut rest = title;
    let strip = |text: &'a str, prefix: &str| -> Option<&'a str> {
        text.get(..prefix.len())
            .filter(|head| head.eq_ignore_ascii_case(prefix))
            .and_then(|_| text.get(prefix.len()..))
    };
    if let Some(after) = strip(rest, package) {
        rest = after.trim_start_matches([' ', '-', '@', ':']);
    }
    for prefix in ["release ", "version "] {
        if let Some(after) = strip(rest, prefix) {
            rest = after;
        }
    }
    rest.split_whitespace()
        .map(|w| {
            w.trim_end_matches([':', ',', ';', ')'])
                .trim_start_matches('(')
        })
        .find(|w| looks_like_version(w))
        .map(|w| w.strip_prefix(['v', 'V']).unwrap_or(w).to_owned())
        .unwrap_or_else(|| title.to_owned())
}

#[async_trait::async_trait]
impl RegistryAdapter for FeedAdapter {
    fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    async fn check(
        &self,
        package: &PackageId,
        validators: &Validators,
    ) -> Result<CheckOutcome, RegistryError> {
        let key = package.key();
        let Some((name, url)) = self.feeds.get(&key) else {
            return Err(RegistryError::NotFound {
                name: package.name().to_owned(),
            });
        };
        let (bytes, validators) = match self
            .http
            .get(
                url,
                validators,
                "application/atom+xml, application/rss+xml, application/xml, text/xml",
                package.name(),
            )
            .await?
        {
            Fetched::NotModified => return Ok(CheckOutcome::NotModified),
            Fetched::Body { bytes, validators } => (bytes, validators),
        };
        let feed = parse_feed(&bytes, &format!("the releases feed of {name}"))?;
        let mut versions: Vec<VersionInfo> = Vec::new();
        let mut links = Vec::new();
        for entry in feed.entries {
            let version = version_from_title(&entry.title, name);
            // A feed may list a release twice (edited, re-tagged): the first wins.
            if version.is_empty() || versions.iter().any(|v| v.version == version) {
                continue;
            }
            if let Some(link) = entry.link {
                links.push((version.clone(), link));
            }
            versions.push(VersionInfo {
                version,
                published_at: entry.published_at,
                yanked: false,
                yanked_reason: None,
                deprecated: None,
            });
        }
        self.remember_links(&key, feed.link.as_deref(), &links);
        Ok(CheckOutcome::Changed {
            snapshot: Snapshot {
                metadata: PackageMetadata {
                    name: name.clone(),
                    description: feed.title.filter(|t| !t.is_empty()),
                    homepage: feed.link,
                    ..PackageMetadata::default()
                },
                versions,
            },
            validators,
        })
    }

    async fn lookup(&self, package: &PackageId) -> Result<Option<PackageMetadata>, RegistryError> {
        super::lookup_by_check(self, package).await
    }

    fn package_page(&self, package: &PackageId, version: Option<&str>) -> Option<String> {
        if let Some(template) = &self.page_template {
            return Some(render_page(template, package.name(), version));
        }
        let links = self.links.lock().unwrap_or_else(|e| e.into_inner());
        let key = package.key();
        links
            .get(&(key.clone(), version.map(str::to_owned)))
            .or_else(|| links.get(&(key, None)))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_titles() {
        for (title, expected) in [
            ("v1.2.3", "1.2.3"),
            ("Release 1.2.3", "1.2.3"),
            ("release v2.0.0-rc.1", "2.0.0-rc.1"),
            ("mytool 0.9.1: faster parsing", "0.9.1"),
            ("mytool-0.9.2", "0.9.2"),
            ("mytool v3 (2026-01-01)", "3"),
            ("Version 4.1 released", "4.1"),
            ("The big rewrite", "The big rewrite"),
        ] {
            assert_eq!(version_from_title(title, "mytool"), expected, "{title}");
        }
    }
}
