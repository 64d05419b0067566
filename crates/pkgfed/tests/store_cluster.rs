//! What processes sharing one database coordinate through it, on both backends:
//! registry checks claimed with a lease (two workers never check the same package at
//! once; a dead worker's claims come back when the lease runs out), named leases of
//! singleton jobs, and the generation counters that make other processes drop
//! cached keys and re-read domain blocks.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::db::TestDb;
use pkgfed::store::cluster::{DOMAIN_BLOCKS, SIGNING_KEYS};
use pkgfed::store::watch::CheckUpdate;
use pkgfed::store::{NewFollower, NewPackage, PackageMeta, SharedStore};
use pkgfed_registries::Ecosystem;

both_backends!(
    multi_thread;
    two_workers_claim_disjoint_checks_and_a_dead_ones_come_back,
    a_saved_check_ends_its_claim_and_an_unclaimed_one_is_due_again,
    a_named_lease_has_one_holder_until_it_expires_or_is_released,
    generations_count_key_rotations_and_domain_block_changes,
    concurrent_claims_never_overlap,
);

const MIN: i64 = 60_000;

fn package(n: usize) -> NewPackage {
    NewPackage {
        ecosystem: Ecosystem::Npm,
        name_key: format!("p{n}"),
        name: format!("p{n}"),
        handle: format!("npm.p{n}"),
        purl: format!("pkg:npm/p{n}"),
        meta: PackageMeta::default(),
        private_key_pem: "k".into(),
        public_key_pem: "pub".into(),
    }
}

/// `n` followed npm packages, all due at `t = 1000`.
async fn tracked(store: &SharedStore, n: usize) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    for i in 0..n {
        let p = store.add_package(&package(i)).await.unwrap();
        store
            .add_follower(
                p.id,
                &NewFollower {
                    actor_id: format!("https://f.test/users/{i}"),
                    inbox: format!("https://f.test/users/{i}/inbox"),
                    shared_inbox: None,
                    follow_id: format!("https://f.test/follows/{i}"),
                },
            )
            .await
            .unwrap();
        ids.insert(p.id);
    }
    let changes = store.reconcile_tracking(MIN, 1000).await.unwrap();
    assert_eq!(changes.tracked.len(), n);
    ids
}

fn ids(rows: &[pkgfed::store::watch::WatchRow]) -> BTreeSet<i64> {
    rows.iter().map(|w| w.package_id).collect()
}

async fn two_workers_claim_disjoint_checks_and_a_dead_ones_come_back(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await; // another process's connection pool
    let all = tracked(&a, 5).await;
    let first = a
        .claim_due_watches(Ecosystem::Npm, 2000, 3, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    let second = b
        .claim_due_watches(Ecosystem::Npm, 2000, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(second.len(), 2, "only the unclaimed ones");
    assert!(ids(&first).is_disjoint(&ids(&second)));
    let both: BTreeSet<i64> = ids(&first).union(&ids(&second)).copied().collect();
    assert_eq!(both, all);
    assert!(
        b.claim_due_watches(Ecosystem::Npm, 3000, 10, 10 * MIN)
            .await
            .unwrap()
            .is_empty(),
        "everything is claimed"
    );
    assert!(
        b.claim_due_watches(Ecosystem::Cargo, 3000, 10, 10 * MIN)
            .await
            .unwrap()
            .is_empty(),
        "claims are per registry"
    );
    // The next claimable moment is the end of the leases, not the past due time (a
    // registry loop would otherwise spin on packages another worker holds).
    assert_eq!(
        b.next_due(Ecosystem::Npm).await.unwrap(),
        Some(2000 + 10 * MIN)
    );
    // Worker A dies; its lease runs out and B takes its packages.
    let taken = b
        .claim_due_watches(Ecosystem::Npm, 2000 + 10 * MIN, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(ids(&taken), all, "every expired claim is claimable again");
}

async fn a_saved_check_ends_its_claim_and_an_unclaimed_one_is_due_again(db: TestDb) {
    let s = db.open().await;
    tracked(&s, 3).await;
    let claimed = s
        .claim_due_watches(Ecosystem::Npm, 2000, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(
        claimed
            .windows(2)
            .all(|w| w[0].next_check_at <= w[1].next_check_at),
        "most overdue first"
    );
    let (checked, rest) = claimed.split_at(1);
    // A check saved with its next time in the past (a re-check mark) is due at once
    // for whoever claims next: the claim ended with the save.
    s.save_check(
        checked[0].package_id,
        &CheckUpdate {
            interval_ms: MIN,
            next_check_at: 2500,
            checked_at: 2000,
            baseline_done: true,
            ..CheckUpdate::default()
        },
    )
    .await
    .unwrap();
    let again = s
        .claim_due_watches(Ecosystem::Npm, 3000, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(ids(&again), ids(checked));
    // A worker stopping mid-batch returns what it did not check.
    let rest_ids: Vec<i64> = rest.iter().map(|w| w.package_id).collect();
    s.unclaim_watches(&rest_ids).await.unwrap();
    s.unclaim_watches(&[]).await.unwrap();
    let returned = s
        .claim_due_watches(Ecosystem::Npm, 3000, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(ids(&returned), ids(rest));
}

async fn a_named_lease_has_one_holder_until_it_expires_or_is_released(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    assert!(a.try_lease("feed:npm", "a", 1000, MIN).await.unwrap());
    assert!(!b.try_lease("feed:npm", "b", 1001, MIN).await.unwrap());
    assert!(
        b.try_lease("feed:cargo", "b", 1001, MIN).await.unwrap(),
        "leases are by name"
    );
    // The holder renews it.
    assert!(a.try_lease("feed:npm", "a", 50_000, MIN).await.unwrap());
    assert!(
        !b.try_lease("feed:npm", "b", 1000 + MIN, MIN).await.unwrap(),
        "renewed: not expired at the first deadline"
    );
    // Expired: taken over.
    assert!(
        b.try_lease("feed:npm", "b", 50_000 + MIN, MIN)
            .await
            .unwrap()
    );
    assert!(
        !a.try_lease("feed:npm", "a", 50_001 + MIN, MIN)
            .await
            .unwrap()
    );
    // Released by a clean shutdown: free at once (a release by a non-holder does
    // nothing).
    a.release_lease("feed:npm", "a").await.unwrap();
    assert!(
        !a.try_lease("feed:npm", "a", 50_002 + MIN, MIN)
            .await
            .unwrap()
    );
    b.release_lease("feed:npm", "b").await.unwrap();
    assert!(
        a.try_lease("feed:npm", "a", 50_003 + MIN, MIN)
            .await
            .unwrap()
    );
    // A sole process restarting after a crash ends every lease and check claim of
    // its previous run at once instead of waiting them out.
    tracked(&a, 2).await;
    let claimed = a
        .claim_due_watches(Ecosystem::Npm, 2000, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    a.release_all_leases().await.unwrap();
    assert!(
        b.try_lease("feed:npm", "b", 50_004 + MIN, MIN)
            .await
            .unwrap()
    );
    let again = b
        .claim_due_watches(Ecosystem::Npm, 2001, 10, 10 * MIN)
        .await
        .unwrap();
    assert_eq!(ids(&again), ids(&claimed));
}

async fn generations_count_key_rotations_and_domain_block_changes(db: TestDb) {
    let a = db.open().await;
    let b = db.open().await;
    let start = b.generations().await.unwrap();
    assert_eq!((start.signing_keys, start.domain_blocks), (0, 0));
    a.bump_generation(SIGNING_KEYS).await.unwrap();
    a.bump_generation(SIGNING_KEYS).await.unwrap();
    a.bump_generation(DOMAIN_BLOCKS).await.unwrap();
    let now = b.generations().await.unwrap();
    assert_eq!((now.signing_keys, now.domain_blocks), (2, 1));
}

async fn concurrent_claims_never_overlap(db: TestDb) {
    let setup = db.open().await;
    let all = tracked(&setup, 60).await;
    // Three workers, each with its own pool, claiming small batches at once.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let store = db.open().await;
        tasks.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_due_watches(Ecosystem::Npm, 2000, 4, 10 * MIN)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|w| w.package_id));
            }
        });
    }
    let mut seen = Vec::new();
    while let Some(r) = tasks.join_next().await {
        seen.extend(r.unwrap());
    }
    let distinct: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(seen.len(), distinct.len(), "a package was claimed twice");
    assert_eq!(distinct, all, "every package was claimed");
}
