//! Security advisories end to end on loopback: an OSV file appears in the configured
//! directory, and the follower receives one verifiable, content-warned `Create` whose
//! Note replies to the affected release's post; the same CVE from a second source
//! posts nothing; a modification sends `Update`, a withdrawal `Delete`; a restart
//! reposts nothing; advisories known when tracking starts are posted only when they
//! affect the newest version. The first scenario runs on both backends
//! (`common/db.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::db::TestDb;
use common::watch::{
    follow_and_wait_for_baseline, now_unix, received_of_type, use_fixture, within_30s,
};
use common::{Peer, TestServer};
use pkgfed_registries::fixtures::FixtureRegistry;
use serde_json::{Value, json};

fn osv(id: &str, aliases: &[&str], modified: &str, summary: &str, fixed: &str) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": modified,
        "published": "2099-01-01T00:00:00Z",
        "aliases": aliases,
        "summary": summary,
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        "affected": [{
            "package": { "ecosystem": "crates.io", "name": "serde" },
            "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "1.0.0" }, { "fixed": fixed }] }]
        }],
        "references": [{ "type": "ADVISORY", "url": format!("https://advisories.test/{id}") }]
    })
}

fn write(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn advisories(peer: &Peer) -> Vec<Value> {
    received_of_type(peer, "Create")
        .into_iter()
        .filter(|c| c["object"]["sensitive"] == true)
        .collect()
}

both_backends!(an_advisory_is_a_content_warned_reply_posted_once_updated_and_withdrawn);

async fn an_advisory_is_a_content_warned_reply_posted_once_updated_and_withdrawn(db: TestDb) {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let osv_dir = tempfile::tempdir().unwrap();
    let dir = osv_dir.path().to_owned();
    let config = |c: &mut pkgfed::config::Config| {
        use_fixture(c, &fixture);
        c.advisories.directories = vec![dir.display().to_string()];
        c.advisories.interval_seconds = 1;
        c.storage.database_url = db.url.clone();
    };
    let server = TestServer::start_with(config).await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    let actor = server.url(&format!("/packages/{}", package.handle));

    fixture.edit(|r| r.cargo_publish("serde", "1.0.300", Some(now_unix())));
    peer.wait_for("the release", |r| r.body["type"] == "Create")
        .await;
    let release_note = format!("{actor}/releases/1.0.300");

    // The advisory appears in the source.
    let first = osv(
        "RUSTSEC-2099-0001",
        &["CVE-2099-1111"],
        "2099-01-02T00:00:00Z",
        "Memory corruption in deserialize",
        "1.0.301",
    );
    write(&dir, "RUSTSEC-2099-0001.json", &first);
    within_30s("the advisory", || async { advisories(&peer).len() == 1 }).await;
    let create = advisories(&peer).remove(0);
    let note = &create["object"];
    assert_eq!(create["actor"], actor);
    assert_eq!(note["summary"], "Security advisory: RUSTSEC-2099-0001");
    assert_eq!(note["inReplyTo"], release_note);
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains("Memory corruption in deserialize"),
        "{content}"
    );
    assert!(content.contains("Fixed in: 1.0.301"), "{content}");
    assert!(content.contains("CVE-2099-1111"), "{content}");
    assert!(content.contains("9.8"), "{content}");
    let note_id = note["id"].as_str().unwrap().to_owned();
    assert_eq!(note_id, format!("{actor}/advisories/RUSTSEC-2099-0001"));
    let fetched = server
        .get_json(&format!(
            "/packages/{}/advisories/RUSTSEC-2099-0001",
            package.handle
        ))
        .await;
    assert_eq!(fetched["sensitive"], true);

    // The same CVE from a second source: nothing new.
    let mut dup = osv(
        "GHSA-2099-aaaa-bbbb",
        &["CVE-2099-1111"],
        "2099-01-02T00:00:00Z",
        "Another wording",
        "1.0.301",
    );
    dup["affected"][0]["package"]["name"] = json!("serde");
    write(&dir, "GHSA-2099-aaaa-bbbb.json", &dup);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(advisories(&peer).len(), 1, "the same CVE posted twice");
    assert!(received_of_type(&peer, "Update").is_empty());

    // Modified: an Update of the Note.
    let modified = osv(
        "RUSTSEC-2099-0001",
        &["CVE-2099-1111"],
        "2099-01-03T00:00:00Z",
        "Memory corruption in deserialize of untrusted input (revised)",
        "1.0.301",
    );
    write(&dir, "RUSTSEC-2099-0001.json", &modified);
    let update = peer
        .wait_for("the Update", |r| r.body["type"] == "Update")
        .await;
    assert!(update.verified.is_ok());
    assert_eq!(update.body["object"]["id"], note_id);
    assert!(
        update.body["object"]["content"]
            .as_str()
            .unwrap()
            .contains("(revised)")
    );
    assert_eq!(update.body["object"]["inReplyTo"], release_note);

    // A restart reposts nothing.
    let server = server.restart(config).await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(advisories(&peer).len(), 1);
    assert_eq!(received_of_type(&peer, "Update").len(), 1);

    // Withdrawn: a Delete, and the Note answers 410.
    let mut withdrawn = modified.clone();
    withdrawn["modified"] = json!("2099-01-04T00:00:00Z");
    withdrawn["withdrawn"] = json!("2099-01-04T00:00:00Z");
    write(&dir, "RUSTSEC-2099-0001.json", &withdrawn);
    let delete = peer
        .wait_for("the Delete", |r| r.body["type"] == "Delete")
        .await;
    assert_eq!(delete.body["object"]["id"], note_id);
    let (status, _, _) = server
        .get(
            &format!("/packages/{}/advisories/RUSTSEC-2099-0001", package.handle),
            "application/activity+json",
        )
        .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn advisories_known_when_tracking_starts_post_only_if_they_affect_the_newest_version() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let osv_dir = tempfile::tempdir().unwrap();
    // One advisory fixed long ago, one affecting every serde version.
    write(
        osv_dir.path(),
        "old.json",
        &osv(
            "RUSTSEC-2099-0002",
            &[],
            "2099-01-02T00:00:00Z",
            "Old bug",
            "1.0.1",
        ),
    );
    write(
        osv_dir.path(),
        "open.json",
        &osv(
            "RUSTSEC-2099-0003",
            &[],
            "2099-01-02T00:00:00Z",
            "Open bug",
            "9.0.0",
        ),
    );
    let dir = osv_dir.path().display().to_string();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.advisories.directories = vec![dir];
        c.advisories.interval_seconds = 1;
        c.delivery.backfill_pacing_ms = 100;
    })
    .await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    within_30s("the open advisory", || async {
        advisories(&peer).len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = advisories(&peer);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        got[0]["object"]["summary"],
        "Security advisory: RUSTSEC-2099-0003"
    );
    // Nothing was announced by pkgfed yet: no release post to reply to.
    assert!(got[0]["object"].get("inReplyTo").is_none());

    // A new follower's backfill includes the open advisory.
    let newcomer = Peer::start().await;
    let actor = server.url(&format!("/packages/{}", package.handle));
    let follow = newcomer.follow("alice", &actor);
    assert_eq!(
        newcomer
            .post("alice", &format!("{actor}/inbox"), &follow)
            .await
            .0,
        202
    );
    let backfilled = newcomer
        .wait_for("the backfilled advisory", |r| {
            r.body["type"] == "Create" && r.body["object"]["sensitive"] == true
        })
        .await;
    assert_eq!(
        backfilled.body["object"]["summary"],
        "Security advisory: RUSTSEC-2099-0003"
    );
}

#[tokio::test]
async fn advisories_from_an_osv_api_are_posted_and_updated() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    fixture.edit(|r| {
        r.osv_put(osv(
            "GHSA-2099-cccc-dddd",
            &["CVE-2099-2222"],
            "2099-01-02T00:00:00Z",
            "Denial of service",
            "9.0.0",
        ))
    });
    let osv_url = fixture.osv_url().to_string();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.advisories.osv_api_url = osv_url;
        c.advisories.interval_seconds = 1;
        c.advisories.requests_per_second = 50.0;
    })
    .await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    within_30s("the advisory", || async { advisories(&peer).len() == 1 }).await;
    let got = advisories(&peer).remove(0);
    assert_eq!(
        got["object"]["summary"],
        "Security advisory: GHSA-2099-cccc-dddd"
    );
    assert!(fixture.count_method("POST", "/osv/v1/querybatch") >= 1);

    fixture.edit(|r| {
        r.osv_modify("GHSA-2099-cccc-dddd", 4_071_081_600, |rec| {
            rec["summary"] = json!("Denial of service via deeply nested input");
        })
    });
    let update = peer
        .wait_for("the Update", |r| r.body["type"] == "Update")
        .await;
    assert!(
        update.body["object"]["content"]
            .as_str()
            .unwrap()
            .contains("deeply nested")
    );
    assert_eq!(advisories(&peer).len(), 1);
}

#[tokio::test]
async fn rustsec_advisories_in_a_directory_are_posted_like_osv_ones() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("crates").join("anyhow");
    std::fs::create_dir_all(&crate_dir).unwrap();
    std::fs::write(
        crate_dir.join("RUSTSEC-2099-0010.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0010\"\npackage = \"anyhow\"\ndate = \"2099-03-01\"\n\
         url = \"https://advisories.test/RUSTSEC-2099-0010\"\naliases = [\"CVE-2099-3333\"]\n\
         cvss = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H\"\n\n[versions]\npatched = [\">= 9.0.0\"]\n```\n\n\
         # Panic on crafted backtraces\n\nanyhow panicked while formatting some backtraces.\n",
    )
    .unwrap();
    let path = dir.path().display().to_string();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.advisories.directories = vec![path];
        c.advisories.interval_seconds = 1;
    })
    .await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:cargo/anyhow").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    within_30s("the advisory", || async { advisories(&peer).len() == 1 }).await;
    let note = advisories(&peer).remove(0)["object"].clone();
    assert_eq!(note["summary"], "Security advisory: RUSTSEC-2099-0010");
    let content = note["content"].as_str().unwrap();
    assert!(content.contains("Panic on crafted backtraces"), "{content}");
    assert!(content.contains("CVE-2099-3333"), "{content}");
    assert!(content.contains("7.5"), "{content}");
}

#[tokio::test]
async fn an_unreachable_osv_api_does_not_hold_back_directory_advisories() {
    let fixture = FixtureRegistry::with_recorded().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let server = TestServer::start_with(|c| {
        use_fixture(c, &fixture);
        c.advisories.directories = vec![path];
        // Nothing listens on port 9: every API read fails.
        c.advisories.osv_api_url = "http://127.0.0.1:9/osv/".into();
        c.advisories.interval_seconds = 1;
    })
    .await;
    let peer = Peer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    follow_and_wait_for_baseline(&server, &peer, &package).await;
    write(
        dir.path(),
        "RUSTSEC-2099-0020.json",
        &osv(
            "RUSTSEC-2099-0020",
            &[],
            "2099-01-02T00:00:00Z",
            "Found while the API was down",
            "9.0.0",
        ),
    );
    within_30s("the directory's advisory", || async {
        advisories(&peer).len() == 1
    })
    .await;
}
