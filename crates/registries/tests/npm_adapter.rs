//! The npm adapter against the fixture registry serving the recorded packuments
//! of left-pad, request and @sindresorhus/is.

#![allow(clippy::unwrap_used)]

mod common;

use common::{changed, fast, npm, pkg, version};
use pkgfed_registries::adapter::{CheckOutcome, RegistryAdapter, Validators};
use pkgfed_registries::fixtures::FixtureRegistry;
use pkgfed_registries::{Ecosystem, versions};

#[tokio::test]
async fn recorded_packuments_give_every_version_with_its_time() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = npm(&reg, fast());
    for (name, count, latest, latest_time) in [
        ("left-pad", 15, "1.3.0", 1_725_496_851),
        ("request", 126, "2.88.2", 1_710_360_156),
        ("@sindresorhus/is", 60, "8.1.0", 1_778_519_560),
    ] {
        let (snap, validators) = changed(
            adapter
                .check(&pkg(Ecosystem::Npm, name), &Validators::default())
                .await
                .unwrap(),
        );
        assert_eq!(snap.versions.len(), count, "{name}");
        assert_eq!(snap.metadata.name, name);
        assert_eq!(
            version(&snap, latest).published_at,
            Some(latest_time),
            "{name}"
        );
        assert!(
            snap.versions
                .iter()
                .all(|v| !v.yanked && v.deprecated.is_none())
        );
        let newest = versions::newest(
            Ecosystem::Npm,
            snap.versions.iter().map(|v| v.version.as_str()),
            false,
        );
        assert_eq!(newest, Some(latest), "{name}");
        assert!(validators.etag.is_some());
    }
    assert_eq!(reg.count_for("/npm/@sindresorhus%2fis"), 1);
    assert!(
        reg.requests()
            .iter()
            .all(|r| r.accept.as_deref() == Some("application/json"))
    );
}

#[tokio::test]
async fn metadata_falls_back_to_the_latest_manifest() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = npm(&reg, fast());
    let meta = adapter
        .lookup(&pkg(Ecosystem::Npm, "request"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        meta.description.as_deref(),
        Some("Simplified HTTP request client.")
    );
    assert_eq!(meta.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(
        meta.repository.as_deref(),
        Some("https://forge.test/request/request")
    );
}

#[tokio::test]
async fn deprecation_and_unpublishing_show_on_the_next_check() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = npm(&reg, fast());
    let request = pkg(Ecosystem::Npm, "request");
    let (_, validators) = changed(
        adapter
            .check(&request, &Validators::default())
            .await
            .unwrap(),
    );
    let message = "request has been deprecated, see its repository";
    reg.edit(|r| {
        assert!(r.npm_deprecate("request", "2.88.2", message));
        assert!(r.npm_unpublish("request", "2.88.0"));
        assert!(!r.npm_unpublish("request", "9.9.9"));
    });
    let (snap, _) = changed(adapter.check(&request, &validators).await.unwrap());
    assert_eq!(snap.versions.len(), 125);
    assert!(snap.versions.iter().all(|v| v.version != "2.88.0"));
    assert_eq!(
        version(&snap, "2.88.2").deprecated.as_deref(),
        Some(message)
    );
    assert_eq!(version(&snap, "2.87.0").deprecated, None);
}

#[tokio::test]
async fn conditional_checks_and_new_versions_of_a_scoped_package() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = npm(&reg, fast());
    let is = pkg(Ecosystem::Npm, "@sindresorhus/is");
    let (_, validators) = changed(adapter.check(&is, &Validators::default()).await.unwrap());
    assert_eq!(
        adapter.check(&is, &validators).await.unwrap(),
        CheckOutcome::NotModified
    );
    assert_eq!(reg.not_modified_count(), 1);
    reg.edit(|r| r.npm_publish("@sindresorhus/is", "8.2.0-beta.1", 1_795_435_200));
    let (snap, _) = changed(adapter.check(&is, &validators).await.unwrap());
    assert_eq!(snap.versions.len(), 61);
    assert_eq!(
        version(&snap, "8.2.0-beta.1").published_at,
        Some(1_795_435_200)
    );
    assert!(versions::is_prerelease(Ecosystem::Npm, "8.2.0-beta.1"));
    assert_eq!(reg.conditional_count(), 2);
}

#[tokio::test]
async fn missing_and_removed_packages() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = npm(&reg, fast());
    assert_eq!(
        adapter
            .lookup(&pkg(Ecosystem::Npm, "no-such-package"))
            .await
            .unwrap(),
        None
    );
    let left_pad = pkg(Ecosystem::Npm, "left-pad");
    assert!(adapter.lookup(&left_pad).await.unwrap().is_some());
    reg.edit(|r| r.remove("left-pad"));
    assert_eq!(adapter.lookup(&left_pad).await.unwrap(), None);
    assert_eq!(
        adapter.package_page(&left_pad, Some("1.3.0")).as_deref(),
        Some("https://npm.test/package/left-pad/v/1.3.0")
    );
}
