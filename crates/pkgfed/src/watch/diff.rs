//! What changed between the versions pkgfed recorded and a registry snapshot, as a
//! list of actions. Pure: no I/O, so every rule is unit-tested here.
//!
//! Rules:
//! - Baseline (the first check since tracking began): new versions are recorded and
//!   never posted.
//! - A new version is announced, unless it is already yanked or is a prerelease with
//!   prereleases turned off (recorded as skipped). Several new versions are announced
//!   one post each, in the ecosystem's version order. "New" means "not recorded", not
//!   "greater than the newest": a stable backport after a prerelease is announced.
//! - A recorded version that is now yanked, or gone from the registry's list, is
//!   withdrawn: its live post is deleted.
//! - A withdrawn version that is back is posted again (with a new id) if it had been
//!   posted before; otherwise it is recorded as it was.
//! - An npm `deprecated` message on an announced version updates its post, once.

use std::collections::HashMap;
use std::collections::HashSet;

use pkgfed_registries::adapter::VersionInfo;
use pkgfed_registries::{Ecosystem, versions};

use crate::store::watch::{ReleaseRow, ReleaseState};

/// One thing to do about one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Record without posting.
    Record(ReleaseRow),
    /// Post about it (`row.posts_made` is the generation of the new post).
    Announce(ReleaseRow),
    /// Delete its post (`note_id`), then record `row` (state yanked).
    Withdraw {
        /// The post to delete.
        note_id: String,
        /// The row to record.
        row: ReleaseRow,
    },
    /// Update its post with the deprecation message, then record `row`.
    Deprecate {
        /// The post to update.
        note_id: String,
        /// The row to record (with `deprecated` set).
        row: ReleaseRow,
    },
}

/// Computes the actions, announcements last and in version order.
pub fn diff(
    ecosystem: Ecosystem,
    stored: &[ReleaseRow],
    snapshot: &[VersionInfo],
    baseline: bool,
    prereleases: bool,
) -> Vec<Action> {
    let known: HashMap<&str, &ReleaseRow> =
        stored.iter().map(|r| (r.version.as_str(), r)).collect();
    let present: HashSet<&str> = snapshot.iter().map(|v| v.version.as_str()).collect();
    let mut actions = Vec::new();
    let mut announce = Vec::new();

    for v in snapshot {
        let prerelease = versions::is_prerelease(ecosystem, &v.version);
        match known.get(v.version.as_str()) {
            None => {
                let mut row = ReleaseRow {
                    version: v.version.clone(),
                    state: ReleaseState::Baseline,
                    prerelease,
                    deprecated: v.deprecated.clone(),
                    note_id: None,
                    posts_made: 0,
                    published_at: v.published_at,
                };
                if v.yanked {
                    row.state = ReleaseState::Yanked;
                    actions.push(Action::Record(row));
                } else if baseline {
                    actions.push(Action::Record(row));
                } else if prerelease && !prereleases {
                    row.state = ReleaseState::Skipped;
                    actions.push(Action::Record(row));
                } else {
                    row.state = ReleaseState::Announced;
                    announce.push(row);
                }
            }
            Some(old) => {
                let mut row = (*old).clone();
                if v.yanked {
                    withdraw(&mut actions, row);
                    continue;
                }
                if old.state == ReleaseState::Yanked {
                    if old.posts_made > 0 {
                        row.state = ReleaseState::Announced;
                        row.deprecated = v.deprecated.clone();
                        announce.push(row);
                    } else {
                        row.state = ReleaseState::Baseline;
                        actions.push(Action::Record(row));
                    }
                    continue;
                }
                if let (ReleaseState::Announced, Some(note), Some(msg), None) = (
                    old.state,
                    old.note_id.as_ref(),
                    v.deprecated.as_ref(),
                    old.deprecated.as_ref(),
                ) {
                    row.deprecated = Some(msg.clone());
                    actions.push(Action::Deprecate {
                        note_id: note.clone(),
                        row,
                    });
                }
            }
        }
    }
    for old in stored {
        if !present.contains(old.version.as_str()) {
            withdraw(&mut actions, old.clone());
        }
    }
    announce.sort_by(|a, b| versions::compare(ecosystem, &a.version, &b.version));
    actions.extend(announce.into_iter().map(Action::Announce));
    actions
}

fn withdraw(actions: &mut Vec<Action>, mut row: ReleaseRow) {
    if row.state == ReleaseState::Yanked {
        return;
    }
    row.state = ReleaseState::Yanked;
    match row.note_id.take() {
        Some(note_id) => actions.push(Action::Withdraw { note_id, row }),
        None => actions.push(Action::Record(row)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: &str) -> VersionInfo {
        VersionInfo {
            version: version.into(),
            published_at: None,
            yanked: false,
            yanked_reason: None,
            deprecated: None,
        }
    }

    fn row(version: &str, state: ReleaseState) -> ReleaseRow {
        ReleaseRow {
            version: version.into(),
            state,
            prerelease: false,
            deprecated: None,
            note_id: (state == ReleaseState::Announced).then(|| format!("note/{version}")),
            posts_made: i64::from(state == ReleaseState::Announced),
            published_at: None,
        }
    }

    fn announced(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Announce(r) => Some(r.version.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn baseline_records_everything_and_posts_nothing() {
        let actions = diff(Ecosystem::Cargo, &[], &[v("1.0.0"), v("1.1.0")], true, true);
        assert_eq!(actions.len(), 2);
        assert!(actions.iter().all(|a| matches!(a, Action::Record(_))));
    }

    #[test]
    fn new_versions_are_announced_once_each_in_version_order() {
        let stored = [row("1.0.0", ReleaseState::Baseline)];
        let snap = [v("1.10.0"), v("1.0.0"), v("1.2.0"), v("1.9.0")];
        let actions = diff(Ecosystem::Cargo, &stored, &snap, false, true);
        assert_eq!(announced(&actions), ["1.2.0", "1.9.0", "1.10.0"]);
        // Recorded versions are not announced again.
        let stored: Vec<_> = ["1.0.0", "1.2.0", "1.9.0", "1.10.0"]
            .iter()
            .map(|s| row(s, ReleaseState::Announced))
            .collect();
        assert!(diff(Ecosystem::Cargo, &stored, &snap, false, true).is_empty());
    }

    #[test]
    fn pep440_order_and_prereleases_for_pypi() {
        let stored = [row("2.31.0", ReleaseState::Baseline)];
        let snap = [v("2.31.0"), v("2.32.0"), v("2.32.0rc1"), v("2.32.0a1")];
        let actions = diff(Ecosystem::Pypi, &stored, &snap, false, true);
        assert_eq!(announced(&actions), ["2.32.0a1", "2.32.0rc1", "2.32.0"]);
        let actions = diff(Ecosystem::Pypi, &stored, &snap, false, false);
        assert_eq!(announced(&actions), ["2.32.0"]);
        assert_eq!(
            actions
                .iter()
                .filter(|a| matches!(a, Action::Record(r) if r.state == ReleaseState::Skipped))
                .count(),
            2
        );
    }

    #[test]
    fn a_prerelease_never_hides_a_later_stable_backport() {
        let stored = [
            row("1.9.4", ReleaseState::Announced),
            row("2.0.0-rc.1", ReleaseState::Announced),
        ];
        let snap = [v("1.9.4"), v("2.0.0-rc.1"), v("1.9.5")];
        assert_eq!(
            announced(&diff(Ecosystem::Npm, &stored, &snap, false, true)),
            ["1.9.5"]
        );
    }

    #[test]
    fn yank_withdraws_the_post_and_unyank_posts_again() {
        let stored = [row("1.0.0", ReleaseState::Announced)];
        let mut yanked = v("1.0.0");
        yanked.yanked = true;
        let actions = diff(Ecosystem::Cargo, &stored, &[yanked], false, true);
        let [Action::Withdraw { note_id, row: r }] = actions.as_slice() else {
            panic!("{actions:?}")
        };
        assert_eq!(note_id, "note/1.0.0");
        assert_eq!(r.state, ReleaseState::Yanked);
        assert_eq!(r.note_id, None);
        // Un-yanked: posted again as generation 1 (posts_made stays 1 until posted).
        let actions = diff(
            Ecosystem::Cargo,
            std::slice::from_ref(r),
            &[v("1.0.0")],
            false,
            true,
        );
        assert_eq!(announced(&actions), ["1.0.0"]);
    }

    #[test]
    fn an_npm_version_that_disappears_is_withdrawn_once() {
        let stored = [
            row("1.0.0", ReleaseState::Announced),
            row("1.0.1", ReleaseState::Announced),
        ];
        let actions = diff(Ecosystem::Npm, &stored, &[v("1.0.0")], false, true);
        assert!(
            matches!(&actions[..], [Action::Withdraw { note_id, .. }] if note_id == "note/1.0.1")
        );
        let mut gone = stored[1].clone();
        gone.state = ReleaseState::Yanked;
        gone.note_id = None;
        let again = diff(
            Ecosystem::Npm,
            &[stored[0].clone(), gone],
            &[v("1.0.0")],
            false,
            true,
        );
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn deprecation_updates_an_announced_post_once() {
        let stored = [row("2.88.2", ReleaseState::Announced)];
        let mut d = v("2.88.2");
        d.deprecated = Some("request has been deprecated".into());
        let actions = diff(
            Ecosystem::Npm,
            &stored,
            std::slice::from_ref(&d),
            false,
            true,
        );
        let [Action::Deprecate { row: r, .. }] = actions.as_slice() else {
            panic!("{actions:?}")
        };
        assert!(diff(Ecosystem::Npm, std::slice::from_ref(r), &[d], false, true).is_empty());
    }

    #[test]
    fn yanked_at_first_sight_is_recorded_not_posted() {
        let mut y = v("1.0.1");
        y.yanked = true;
        let actions = diff(Ecosystem::Cargo, &[], &[y], false, true);
        assert!(matches!(&actions[..], [Action::Record(r)] if r.state == ReleaseState::Yanked));
    }
}
