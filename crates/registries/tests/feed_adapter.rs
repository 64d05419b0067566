//! The releases feed adapter against Atom and RSS feeds served by the fixture
//! registry.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{changed, fast, pkg, settings, version};
use pkgfed_registries::Ecosystem;
use pkgfed_registries::adapter::{CheckOutcome, RegistryAdapter, Validators};
use pkgfed_registries::adapters::feed::{FeedAdapter, FeedConfig};
use pkgfed_registries::fixtures::{FeedFormat, FixtureRegistry};

const T0: i64 = 1_795_435_200;

fn adapter(reg: &FixtureRegistry) -> FeedAdapter {
    let feeds = BTreeMap::from([
        ("mytool".to_owned(), reg.feed_url("mytool.atom")),
        ("other-tool".to_owned(), reg.feed_url("other.rss")),
    ]);
    FeedAdapter::new(FeedConfig {
        ecosystem: Ecosystem::Npm,
        feeds,
        page_template: None,
        limiter: fast(),
        http: settings(),
    })
    .unwrap()
}

#[tokio::test]
async fn atom_entries_are_versions() {
    let reg = FixtureRegistry::start().await.unwrap();
    reg.edit(|r| {
        r.feed_create(
            "mytool.atom",
            FeedFormat::Atom,
            "mytool releases & notes",
            "https://forge.test/me/mytool/releases",
        );
        r.feed_publish(
            "mytool.atom",
            "v1.0.0",
            "https://forge.test/me/mytool/releases/v1.0.0",
            T0,
        );
        r.feed_publish(
            "mytool.atom",
            "Release 1.1.0-rc.1",
            "https://forge.test/me/mytool/releases/v1.1.0-rc.1",
            T0 + 60,
        );
        r.feed_publish(
            "mytool.atom",
            "mytool 1.1.0: faster <and> safer",
            "https://forge.test/me/mytool/releases/v1.1.0",
            T0 + 120,
        );
    });
    let adapter = adapter(&reg);
    let mytool = pkg(Ecosystem::Npm, "mytool");
    let (snap, validators) = changed(
        adapter
            .check(&mytool, &Validators::default())
            .await
            .unwrap(),
    );
    let mut names: Vec<_> = snap.versions.iter().map(|v| v.version.as_str()).collect();
    names.sort();
    assert_eq!(names, ["1.0.0", "1.1.0", "1.1.0-rc.1"]);
    assert_eq!(version(&snap, "1.1.0").published_at, Some(T0 + 120));
    assert!(snap.versions.iter().all(|v| !v.yanked));
    assert_eq!(
        snap.metadata.description.as_deref(),
        Some("mytool releases & notes")
    );
    assert_eq!(
        adapter.package_page(&mytool, Some("1.0.0")).as_deref(),
        Some("https://forge.test/me/mytool/releases/v1.0.0")
    );
    assert_eq!(
        adapter.package_page(&mytool, None).as_deref(),
        Some("https://forge.test/me/mytool/releases")
    );
    assert_eq!(
        adapter.check(&mytool, &validators).await.unwrap(),
        CheckOutcome::NotModified
    );
    assert_eq!(reg.not_modified_count(), 1);
}

#[tokio::test]
async fn rss_items_are_versions_and_unknown_packages_are_absent() {
    let reg = FixtureRegistry::start().await.unwrap();
    reg.edit(|r| {
        r.feed_create(
            "other.rss",
            FeedFormat::Rss,
            "Other Tool",
            "https://other.test/",
        );
        r.feed_publish("other.rss", "Version 2.0", "https://other.test/2.0", T0);
        r.feed_publish(
            "other.rss",
            "The big rewrite",
            "https://other.test/rewrite",
            T0 + 1,
        );
    });
    let adapter = adapter(&reg);
    let meta = adapter
        .lookup(&pkg(Ecosystem::Npm, "other-tool"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.name, "other-tool");
    assert_eq!(meta.description.as_deref(), Some("Other Tool"));
    let (snap, _) = changed(
        adapter
            .check(&pkg(Ecosystem::Npm, "other-tool"), &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(version(&snap, "2.0").published_at, Some(T0));
    assert_eq!(version(&snap, "The big rewrite").published_at, Some(T0 + 1));

    let before = reg.request_count();
    assert_eq!(
        adapter
            .lookup(&pkg(Ecosystem::Npm, "unconfigured"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        reg.request_count(),
        before,
        "no request for a package without a feed"
    );
    assert_eq!(adapter.ecosystem(), Ecosystem::Npm);
}
