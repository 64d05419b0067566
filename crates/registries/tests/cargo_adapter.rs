//! The Cargo adapter against the fixture registry serving the recorded sparse
//! index files of serde, anyhow and log.

#![allow(clippy::unwrap_used)]

mod common;

use common::{cargo, changed, fast, pkg, version, yanked};
use pkgfed_registries::adapter::{CheckOutcome, RegistryAdapter, Validators};
use pkgfed_registries::fixtures::FixtureRegistry;
use pkgfed_registries::{Ecosystem, versions};

#[tokio::test]
async fn serde_versions_yanks_times_and_api_metadata() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = cargo(&reg, true, fast());
    let serde = pkg(Ecosystem::Cargo, "serde");
    let (snap, validators) = changed(adapter.check(&serde, &Validators::default()).await.unwrap());
    assert_eq!(snap.versions.len(), 316);
    assert_eq!(yanked(&snap), ["0.7.6", "1.0.31", "1.0.95"]);
    assert_eq!(version(&snap, "0.0.0").published_at, Some(1_417_810_839));
    assert!(snap.versions.iter().all(|v| v.published_at.is_some()));
    let mut all: Vec<&str> = snap.versions.iter().map(|v| v.version.as_str()).collect();
    versions::sort(Ecosystem::Cargo, &mut all);
    assert_eq!(all.last(), Some(&"1.0.229"));
    assert!(
        all.iter()
            .any(|v| versions::is_prerelease(Ecosystem::Cargo, v))
    );

    let m = &snap.metadata;
    assert_eq!(m.name, "serde");
    assert_eq!(
        m.description.as_deref(),
        Some("A generic serialization/deserialization framework")
    );
    assert_eq!(m.homepage.as_deref(), Some("https://serde.test"));
    assert_eq!(
        m.repository.as_deref(),
        Some("https://forge.test/serde-rs/serde")
    );
    assert_eq!(m.license.as_deref(), Some("MIT OR Apache-2.0"));
    assert!(validators.etag.is_some() && validators.last_modified.is_some());

    assert_eq!(reg.count_for("/cargo/index/se/rd/serde"), 1);
    assert_eq!(reg.count_for("/cargo/api/v1/crates/serde"), 1);
    let agents: Vec<_> = reg.requests().into_iter().map(|r| r.user_agent).collect();
    assert!(
        agents
            .iter()
            .all(|a| a.as_deref() == Some(common::USER_AGENT))
    );
}

#[tokio::test]
async fn without_an_api_metadata_is_the_name_and_no_api_request_is_made() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = cargo(&reg, false, fast());
    for (name, count, yanks) in [("anyhow", 106, 3), ("log", 65, 6)] {
        let (snap, _) = changed(
            adapter
                .check(&pkg(Ecosystem::Cargo, name), &Validators::default())
                .await
                .unwrap(),
        );
        assert_eq!(
            (snap.versions.len(), yanked(&snap).len()),
            (count, yanks),
            "{name}"
        );
        assert_eq!(snap.metadata.name, name);
        assert_eq!(snap.metadata.description, None);
    }
    assert_eq!(reg.count_for("/cargo/index/3/l/log"), 1);
    assert_eq!(reg.count_for("/cargo/index/an/yh/anyhow"), 1);
    assert_eq!(reg.request_count(), 2);
}

#[tokio::test]
async fn unchanged_index_is_a_bodyless_304_and_skips_the_api() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = cargo(&reg, true, fast());
    let serde = pkg(Ecosystem::Cargo, "serde");
    let (_, validators) = changed(adapter.check(&serde, &Validators::default()).await.unwrap());
    let again = adapter.check(&serde, &validators).await.unwrap();
    assert_eq!(again, CheckOutcome::NotModified);
    assert_eq!(reg.conditional_count(), 1);
    assert_eq!(reg.not_modified_count(), 1);
    assert_eq!(
        reg.count_for("/cargo/api/v1/crates/serde"),
        1,
        "no API call on 304"
    );

    // Only the ETag would do as well: it decides alone.
    let etag_only = Validators {
        etag: validators.etag.clone(),
        last_modified: None,
    };
    assert_eq!(
        adapter.check(&serde, &etag_only).await.unwrap(),
        CheckOutcome::NotModified
    );
}

#[tokio::test]
async fn publishing_and_yanking_show_on_the_next_check() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = cargo(&reg, false, fast());
    let serde = pkg(Ecosystem::Cargo, "serde");
    let (_, validators) = changed(adapter.check(&serde, &Validators::default()).await.unwrap());
    reg.edit(|r| {
        r.cargo_publish("serde", "1.0.230", Some(1_795_435_200));
        assert!(r.cargo_set_yanked("serde", "1.0.229", true));
        assert!(!r.cargo_set_yanked("serde", "9.9.9", true));
    });
    let (snap, new_validators) = changed(adapter.check(&serde, &validators).await.unwrap());
    assert_ne!(new_validators.etag, validators.etag);
    assert_eq!(snap.versions.len(), 317);
    assert_eq!(version(&snap, "1.0.230").published_at, Some(1_795_435_200));
    assert!(version(&snap, "1.0.229").yanked);
    assert_eq!(reg.conditional_count(), 1);
    assert_eq!(reg.not_modified_count(), 0);
}

#[tokio::test]
async fn lookup_tries_both_separators_and_answers_none_for_missing_crates() {
    let reg = FixtureRegistry::start().await.unwrap();
    reg.edit(|r| r.cargo_publish("serde_json", "1.0.0", None));
    let adapter = cargo(&reg, true, fast());
    let found = adapter
        .lookup(&pkg(Ecosystem::Cargo, "Serde-JSON"))
        .await
        .unwrap();
    assert_eq!(found.map(|m| m.name).as_deref(), Some("serde_json"));
    assert_eq!(reg.count_for("/cargo/index/se/rd/serde-json"), 1);
    assert_eq!(reg.count_for("/cargo/index/se/rd/serde_json"), 1);
    // The API has no document for it: metadata is the name only.
    assert_eq!(reg.count_for("/cargo/api/v1/crates/serde_json"), 1);

    assert_eq!(
        adapter.lookup(&pkg(Ecosystem::Cargo, "a")).await.unwrap(),
        None
    );
    assert_eq!(reg.count_for("/cargo/index/1/a"), 1);
    assert_eq!(
        adapter.lookup(&pkg(Ecosystem::Cargo, "abc")).await.unwrap(),
        None
    );
    assert_eq!(reg.count_for("/cargo/index/3/a/abc"), 1);
}

#[tokio::test]
async fn package_pages_follow_the_template() {
    let reg = FixtureRegistry::start().await.unwrap();
    let adapter = cargo(&reg, false, fast());
    let serde = pkg(Ecosystem::Cargo, "serde");
    assert_eq!(
        adapter.package_page(&serde, Some("1.0.0")).as_deref(),
        Some("https://cargo.test/crates/serde/1.0.0")
    );
    assert_eq!(
        adapter.package_page(&serde, None).as_deref(),
        Some("https://cargo.test/crates/serde")
    );
    assert_eq!(adapter.ecosystem(), Ecosystem::Cargo);
    assert!(adapter.changes(None).await.is_none());
}
