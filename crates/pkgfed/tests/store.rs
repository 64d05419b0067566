//! The store against a real database, on both backends (a SQLite file, a PostgreSQL
//! database; see `common/db.rs`): migrations, uniqueness, follower upserts, dedup,
//! cascades. Each test gets its own fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::db::TestDb;
use pkgfed::store::{CachedKey, InboundRecord, NewFollower, NewPackage, PackageMeta, StoreError};
use pkgfed_registries::Ecosystem;

both_backends!(
    reopening_keeps_data_and_does_not_rerun_migrations,
    duplicate_packages_conflict,
    followers_are_upserted_paged_and_removed,
    inbound_activities_are_deduplicated,
    remote_keys_are_cached_updated_forgotten_and_persisted,
    instance_key_is_written_once,
    instance_key_is_replaced_by_a_rotation,
    package_debug_output_has_no_private_key,
    a_database_from_a_newer_pkgfed_is_refused,
    a_package_key_is_replaced,
);

fn new_package(name: &str) -> NewPackage {
    NewPackage {
        ecosystem: Ecosystem::Cargo,
        name_key: name.replace('-', "_"),
        name: name.into(),
        handle: format!("cargo.{}", name.replace('-', "_")),
        purl: format!("pkg:cargo/{name}"),
        meta: PackageMeta::default(),
        private_key_pem: "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n".into(),
        public_key_pem: "pub".into(),
    }
}

fn follower(n: u32) -> NewFollower {
    NewFollower {
        actor_id: format!("https://f.example/users/{n}"),
        inbox: format!("https://f.example/users/{n}/inbox"),
        shared_inbox: Some("https://f.example/inbox".into()),
        follow_id: format!("https://f.example/follows/{n}"),
    }
}

async fn reopening_keeps_data_and_does_not_rerun_migrations(db: TestDb) {
    {
        let s = db.open().await;
        s.add_package(&new_package("serde")).await.unwrap();
    }
    let s = db.open().await;
    assert_eq!(s.counts().await.unwrap().packages, 1);
    assert!(
        s.package_by_handle("CARGO.SERDE").await.unwrap().is_some(),
        "handles are case-insensitive"
    );
}

async fn duplicate_packages_conflict(db: TestDb) {
    let s = db.open().await;
    s.add_package(&new_package("serde")).await.unwrap();
    let err = s.add_package(&new_package("serde")).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("pkg:cargo/serde")),
        "{err}"
    );
    assert_eq!(s.counts().await.unwrap().packages, 1);
}

async fn followers_are_upserted_paged_and_removed(db: TestDb) {
    let s = db.open().await;
    let p = s.add_package(&new_package("serde")).await.unwrap();
    let q = s.add_package(&new_package("log")).await.unwrap();
    assert!(s.add_follower(p.id, &follower(1)).await.unwrap());
    let mut again = follower(1);
    again.follow_id = "https://f.example/follows/1-again".into();
    assert!(
        !s.add_follower(p.id, &again).await.unwrap(),
        "second follow is not new"
    );
    assert_eq!(s.count_followers(p.id).await.unwrap(), 1);
    let page = s.followers_page(p.id, None, 10).await.unwrap();
    assert_eq!(
        page[0].follow_id, "https://f.example/follows/1-again",
        "refreshed"
    );
    for n in 2..=5 {
        s.add_follower(p.id, &follower(n)).await.unwrap();
    }
    s.add_follower(q.id, &follower(1)).await.unwrap();
    let first = s.followers_page(p.id, None, 2).await.unwrap();
    let second = s.followers_page(p.id, Some(first[1].id), 10).await.unwrap();
    assert_eq!(first.len() + second.len(), 5);
    assert!(
        s.remove_follower(p.id, "https://f.example/users/2")
            .await
            .unwrap()
    );
    assert!(
        !s.remove_follower(p.id, "https://f.example/users/2")
            .await
            .unwrap()
    );
    assert_eq!(
        s.remove_follow_by_id("https://f.example/users/3", "https://f.example/follows/3")
            .await
            .unwrap(),
        1
    );
    // Actor deletion removes it from every package.
    assert_eq!(
        s.remove_actor("https://f.example/users/1").await.unwrap(),
        2
    );
    assert_eq!(s.count_followers(p.id).await.unwrap(), 2);
    assert_eq!(s.count_followers(q.id).await.unwrap(), 0);
    // Removing a package cascades to its followers.
    assert!(s.remove_package(p.id).await.unwrap());
    assert_eq!(s.counts().await.unwrap().follows, 0);
}

async fn inbound_activities_are_deduplicated(db: TestDb) {
    let s = db.open().await;
    let r = InboundRecord {
        activity_id: "https://a.example/1".into(),
        kind: "Follow".into(),
        actor: "https://a.example/users/a".into(),
        object_id: None,
        recipients: vec![],
        raw: "{}".into(),
    };
    assert!(s.record_inbound(&r).await.unwrap());
    assert!(!s.record_inbound(&r).await.unwrap(), "duplicate");
    assert!(s.inbound_exists(&r.activity_id).await.unwrap());
    assert!(!s.inbound_exists("https://a.example/2").await.unwrap());
}

async fn remote_keys_are_cached_updated_forgotten_and_persisted(db: TestDb) {
    let s = db.open().await;
    let key = |pem: &str, fetched_at: i64| CachedKey {
        key_id: "https://a.example/users/a#main-key".into(),
        actor_id: "https://a.example/users/a".into(),
        public_key_pem: pem.into(),
        inbox: "https://a.example/users/a/inbox".into(),
        shared_inbox: None,
        fetched_at,
    };
    let id = "https://a.example/users/a#main-key";
    assert_eq!(s.cached_key(id).await.unwrap(), None);
    s.put_cached_key(&key("one", 1)).await.unwrap();
    assert_eq!(s.cached_key(id).await.unwrap(), Some(key("one", 1)));
    // A refetch (key rotation, or an expired TTL) replaces it.
    s.put_cached_key(&key("two", 2)).await.unwrap();
    assert_eq!(s.cached_key(id).await.unwrap(), Some(key("two", 2)));
    // Another process opening the database sees what was written.
    let other = db.open().await;
    assert_eq!(other.cached_key(id).await.unwrap(), Some(key("two", 2)));
    // Deleting the actor forgets its keys.
    s.remove_actor("https://a.example/users/a").await.unwrap();
    assert_eq!(s.cached_key(id).await.unwrap(), None);
    assert_eq!(s.counts().await.unwrap().remote_keys, 0);
}

async fn instance_key_is_written_once(db: TestDb) {
    let s = db.open().await;
    assert_eq!(s.put_instance_key("k", "first").await.unwrap(), "first");
    assert_eq!(
        s.put_instance_key("k", "second").await.unwrap(),
        "first",
        "first writer wins"
    );
}

async fn instance_key_is_replaced_by_a_rotation(db: TestDb) {
    let s = db.open().await;
    s.replace_instance_key("k", "written").await.unwrap();
    assert_eq!(
        s.instance_key("k").await.unwrap().as_deref(),
        Some("written")
    );
    s.replace_instance_key("k", "rotated").await.unwrap();
    assert_eq!(
        s.instance_key("k").await.unwrap().as_deref(),
        Some("rotated")
    );
    assert_eq!(s.instance_key("other").await.unwrap(), None);
}

async fn package_debug_output_has_no_private_key(db: TestDb) {
    let s = db.open().await;
    let p = s.add_package(&new_package("serde")).await.unwrap();
    let shown = format!("{p:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("pkg:cargo/serde"));
}

async fn a_database_from_a_newer_pkgfed_is_refused(db: TestDb) {
    let s = db.open().await;
    assert_eq!(s.unready_reason().await, None, "ready at its own schema");
    drop(s);
    // Pretend a newer pkgfed migrated it further.
    db.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
    )
    .await;
    let err = pkgfed::store::open(&db.url)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("999") && err.contains("upgrade pkgfed"),
        "{err}"
    );
}

async fn a_package_key_is_replaced(db: TestDb) {
    let s = db.open().await;
    let p = s.add_package(&new_package("serde")).await.unwrap();
    assert!(
        s.replace_package_key(p.id, "new-private", "new-public")
            .await
            .unwrap()
    );
    let after = s.package_by_id(p.id).await.unwrap().unwrap();
    assert_eq!(
        (
            after.private_key_pem.as_str(),
            after.public_key_pem.as_str()
        ),
        ("new-private", "new-public")
    );
    assert!(
        !s.replace_package_key(p.id + 1, "x", "y").await.unwrap(),
        "no such package"
    );
}
