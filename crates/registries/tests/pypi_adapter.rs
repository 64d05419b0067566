//! The PyPI adapter against the fixture registry serving the recorded JSON API
//! documents of requests and urllib3 and the Simple API document of requests.

#![allow(clippy::unwrap_used)]

mod common;

use common::{changed, pkg, pypi, version, yanked};
use pkgfed_registries::adapter::{CheckOutcome, RegistryAdapter, Validators};
use pkgfed_registries::adapters::pypi::PypiApi;
use pkgfed_registries::fixtures::FixtureRegistry;
use pkgfed_registries::{Ecosystem, versions};

const CVE_REASON: &str = "Yanked due to conflicts with CVE-2024-35195 mitigation";

#[tokio::test]
async fn requests_from_the_json_api() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = pypi(&reg, PypiApi::Json, false);
    let (snap, _) = changed(
        adapter
            .check(&pkg(Ecosystem::Pypi, "Requests"), &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(reg.count_for("/pypi/pypi/requests/json"), 1);
    assert_eq!(snap.versions.len(), 163);
    assert_eq!(yanked(&snap), ["2.32.0", "2.32.1"]);
    assert_eq!(
        version(&snap, "2.32.0").yanked_reason.as_deref(),
        Some(CVE_REASON)
    );
    assert_eq!(
        version(&snap, "2.32.1").yanked_reason.as_deref(),
        Some(CVE_REASON)
    );
    assert_eq!(version(&snap, "2.32.0").published_at, Some(1_716_221_299));
    assert_eq!(version(&snap, "2.31.0").published_at, Some(1_684_768_362));
    for empty in ["0.0.1", "0.12.01", "2.15.0"] {
        let v = version(&snap, empty);
        assert_eq!((v.yanked, v.published_at), (false, None), "{empty}");
    }
    let m = &snap.metadata;
    assert_eq!(m.name, "requests");
    assert_eq!(m.description.as_deref(), Some("Python HTTP for Humans."));
    assert_eq!(
        m.repository.as_deref(),
        Some("https://forge.test/psf/requests")
    );
    assert_eq!(m.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(m.homepage, None);
}

#[tokio::test]
async fn urllib3_yanks_prereleases_and_project_urls() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let adapter = pypi(&reg, PypiApi::Json, false);
    let (snap, _) = changed(
        adapter
            .check(&pkg(Ecosystem::Pypi, "urllib3"), &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(snap.versions.len(), 109);
    assert_eq!(yanked(&snap), ["1.25", "1.25.1", "2.0.0", "2.0.1"]);
    assert_eq!(
        version(&snap, "1.25").yanked_reason.as_deref(),
        Some("Broken release")
    );
    assert!(!version(&snap, "2.0.0a1").yanked);
    assert!(versions::is_prerelease(Ecosystem::Pypi, "2.0.0a1"));
    let mut all: Vec<&str> = snap.versions.iter().map(|v| v.version.as_str()).collect();
    versions::sort(Ecosystem::Pypi, &mut all);
    let pos = |v| all.iter().position(|x| *x == v).unwrap();
    assert!(pos("1.26.20") < pos("2.0.0a1") && pos("2.0.0a4") < pos("2.0.0"));
    assert_eq!(all.last(), Some(&"2.8.0"));
    let m = &snap.metadata;
    assert_eq!(m.license.as_deref(), Some("MIT"));
    assert_eq!(
        m.repository.as_deref(),
        Some("https://forge.test/urllib3/urllib3")
    );
    assert_eq!(
        m.changelog.as_deref(),
        Some("https://forge.test/urllib3/urllib3/blob/main/CHANGES.rst")
    );
}

#[tokio::test]
async fn the_simple_api_agrees_with_the_json_api() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let requests = pkg(Ecosystem::Pypi, "requests");
    let (json, _) = changed(
        pypi(&reg, PypiApi::Json, false)
            .check(&requests, &Validators::default())
            .await
            .unwrap(),
    );
    let simple_adapter = pypi(&reg, PypiApi::Simple, false);
    let (simple, validators) = changed(
        simple_adapter
            .check(&requests, &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(reg.count_for("/pypi/simple/requests/"), 1);
    let accept = reg.requests().last().and_then(|r| r.accept.clone());
    assert_eq!(
        accept.as_deref(),
        Some("application/vnd.pypi.simple.v1+json")
    );
    let mut a = json.versions.clone();
    let mut b = simple.versions.clone();
    a.sort_by(|x, y| x.version.cmp(&y.version));
    b.sort_by(|x, y| x.version.cmp(&y.version));
    assert_eq!(a, b, "same versions, times, yanks and reasons");
    assert_eq!(simple.metadata.name, "requests");
    assert_eq!(simple.metadata.description, None);
    assert_eq!(
        simple_adapter.check(&requests, &validators).await.unwrap(),
        CheckOutcome::NotModified
    );
}

#[tokio::test]
async fn names_are_normalised_in_request_paths() {
    let reg = FixtureRegistry::start().await.unwrap();
    reg.edit(|r| r.pypi_publish("zope.interface", "7.0", 1_795_435_200));
    for api in [PypiApi::Json, PypiApi::Simple] {
        let adapter = pypi(&reg, api, false);
        for name in ["zope.interface", "Zope_Interface", "zope-interface"] {
            let (snap, _) = changed(
                adapter
                    .check(&pkg(Ecosystem::Pypi, name), &Validators::default())
                    .await
                    .unwrap(),
            );
            assert_eq!(snap.versions.len(), 1, "{name}");
            assert_eq!(snap.versions[0].published_at, Some(1_795_435_200));
        }
    }
    assert_eq!(reg.count_for("/pypi/pypi/zope-interface/json"), 3);
    assert_eq!(reg.count_for("/pypi/simple/zope-interface/"), 3);
    assert_eq!(reg.request_count(), 6);
}

#[tokio::test]
async fn yanks_and_uploads_show_on_the_next_check() {
    let reg = FixtureRegistry::with_recorded().await.unwrap();
    let urllib3 = pkg(Ecosystem::Pypi, "urllib3");
    // The recording has no Simple document for urllib3; one appears with the
    // first upload through the fixture server.
    let simple = pypi(&reg, PypiApi::Simple, false);
    assert_eq!(simple.lookup(&urllib3).await.unwrap(), None);

    let adapter = pypi(&reg, PypiApi::Json, false);
    let (_, validators) = changed(
        adapter
            .check(&urllib3, &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        adapter.check(&urllib3, &validators).await.unwrap(),
        CheckOutcome::NotModified
    );
    reg.edit(|r| {
        assert!(r.pypi_yank("urllib3", "2.8.0", Some("oops")));
        assert!(!r.pypi_yank("urllib3", "9.9.9", None));
        r.pypi_publish("urllib3", "2.8.1", 1_795_435_200);
    });
    let (snap, _) = changed(adapter.check(&urllib3, &validators).await.unwrap());
    assert_eq!(snap.versions.len(), 110);
    assert_eq!(
        version(&snap, "2.8.0").yanked_reason.as_deref(),
        Some("oops")
    );
    assert!(!version(&snap, "2.8.1").yanked);

    let (snap, _) = changed(
        simple
            .check(&urllib3, &Validators::default())
            .await
            .unwrap(),
    );
    assert_eq!(snap.versions.len(), 1);
    assert_eq!(version(&snap, "2.8.1").published_at, Some(1_795_435_200));
}

#[tokio::test]
async fn the_updates_feed_moves_a_cursor_and_reports_gaps() {
    let reg = FixtureRegistry::start().await.unwrap();
    let t0 = 1_795_435_200;
    reg.edit(|r| {
        r.set_updates_window(5);
        r.pypi_publish("requests", "3.0.0", t0);
        r.pypi_publish("zope.interface", "7.0", t0 + 60);
    });
    assert!(
        pypi(&reg, PypiApi::Json, false)
            .changes(None)
            .await
            .is_none()
    );
    let adapter = pypi(&reg, PypiApi::Json, true);

    let first = adapter.changes(None).await.unwrap().unwrap();
    assert!(first.gap, "no cursor yet: poll everything once");
    assert_eq!(first.packages, ["zope.interface", "requests"]);
    let cursor = first.cursor.unwrap();
    assert_eq!(cursor, format!("{}\nzope.interface 7.0", t0 + 60));

    reg.edit(|r| r.pypi_publish("urllib3", "3.0.0", t0 + 120));
    let second = adapter.changes(Some(&cursor)).await.unwrap().unwrap();
    assert!(!second.gap);
    // What the cursor's own second held was reported already: not again.
    assert_eq!(second.packages, ["urllib3"]);
    let cursor = second.cursor.unwrap();
    assert_eq!(cursor, format!("{}\nurllib3 3.0.0", t0 + 120));

    let quiet = adapter.changes(Some(&cursor)).await.unwrap().unwrap();
    assert_eq!((quiet.packages.len(), quiet.gap), (0, false));

    // Six releases in a five-item window: the oldest is newer than the cursor.
    reg.edit(|r| {
        for i in 0..6 {
            r.pypi_publish(&format!("pkg{i}"), "1.0", t0 + 200 + i);
        }
    });
    let late = adapter.changes(Some(&cursor)).await.unwrap().unwrap();
    assert!(late.gap, "items may have dropped out of the window");
    assert_eq!(late.packages.len(), 5);
    assert_eq!(late.cursor, Some(format!("{}\npkg5 1.0", t0 + 205)));
    assert_eq!(reg.count_for("/pypi/rss/updates.xml"), 4);
}
