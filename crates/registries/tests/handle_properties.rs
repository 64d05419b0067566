//! Property tests of the handle scheme over generated package names.
//!
//! Round-tripping (`from_handle(to_handle(p)) == p.key()`) already implies that
//! different keys never share a spelled-out handle; the pair tests add the hashed
//! long-name handles and names deliberately generated to be near each other.

#![allow(clippy::unwrap_used)]

use pkgfed_registries::handle::{from_handle, is_valid_username, to_handle};
use pkgfed_registries::{Ecosystem, Error, PackageId};
use proptest::prelude::*;
use proptest::sample::select;

/// Characters npm accepts in a name (legacy ones included).
const NPM_CHARS: &str = "[a-zA-Z0-9._~'!()*-]";

fn valid(eco: Ecosystem, names: impl Strategy<Value = String>) -> impl Strategy<Value = PackageId> {
    names.prop_filter_map("not a valid name", move |n| PackageId::new(eco, &n).ok())
}

fn cargo() -> impl Strategy<Value = PackageId> {
    valid(Ecosystem::Cargo, "[A-Za-z][A-Za-z0-9_-]{0,63}")
}

fn pypi() -> impl Strategy<Value = PackageId> {
    // Mostly everyday lengths, sometimes long enough to need the hashed form.
    let names = prop_oneof![
        4 => "[A-Za-z0-9]([A-Za-z0-9._-]{0,30}[A-Za-z0-9])?",
        1 => "[A-Za-z0-9][A-Za-z0-9._-]{100,240}[A-Za-z0-9]",
    ];
    valid(Ecosystem::Pypi, names)
}

/// A strategy for strings matching a regex built at run time.
fn matching(regex: &str) -> proptest::string::RegexGeneratorStrategy<String> {
    proptest::string::string_regex(regex).unwrap()
}

fn npm() -> impl Strategy<Value = PackageId> {
    let first = "[a-zA-Z0-9~'!()*-]";
    let names = prop_oneof![
        3 => matching(&format!("{first}{NPM_CHARS}{{0,30}}")),
        3 => matching(&format!("@{NPM_CHARS}{{1,12}}/[a-zA-Z0-9_~'!()*-]{NPM_CHARS}{{0,30}}")),
        1 => matching(&format!("@?{NPM_CHARS}{{1,60}}/?{first}{NPM_CHARS}{{60,150}}")),
    ];
    valid(Ecosystem::Npm, names)
}

fn generic() -> impl Strategy<Value = PackageId> {
    valid(
        Ecosystem::Generic,
        "[A-Za-z0-9]([A-Za-z0-9]{0,8}[._-]){0,6}[A-Za-z0-9]{1,8}",
    )
}

fn any_package() -> impl Strategy<Value = PackageId> {
    prop_oneof![cargo(), npm(), pypi(), generic()]
}

/// An independent oracle for whether a package's handle must be the hashed form:
/// the length its spelled-out body would have, from the documented rules.
fn spelled_out_len(pkg: &PackageId) -> usize {
    let key = pkg.key();
    if pkg.ecosystem() != Ecosystem::Npm {
        return key.len();
    }
    let last = key.len() - 1;
    let after_scope = key.find('/').map(|slash| slash + 1);
    key.char_indices()
        .map(|(i, c)| match c {
            '@' if i == 0 => 0,
            '/' => 2,
            'a'..='z' | '0'..='9' => 1,
            '.' | '-' if i == 0 || i == last || Some(i) == after_scope => 3,
            '.' | '-' => 1,
            'A'..='Z' => 2,
            _ => 3,
        })
        .sum()
}

/// Asserts that `handle` decodes to `pkg` under `enabled`, case-insensitively.
fn assert_decodes(handle: &str, enabled: &[Ecosystem], pkg: &PackageId) {
    let expected = (pkg.ecosystem(), pkg.key());
    for spelling in [
        handle.to_owned(),
        handle.to_lowercase(),
        handle.to_uppercase(),
    ] {
        match from_handle(&spelling, enabled) {
            Ok(decoded) => assert_eq!(decoded, expected, "{spelling}"),
            Err(Error::HashedHandle {
                ecosystem,
                handle: stored,
            }) => {
                assert!(spelled_out_len(pkg) > 122, "{spelling} hashed needlessly");
                assert_eq!(ecosystem, pkg.ecosystem());
                assert_eq!(stored, handle, "the hashed handle to look up");
            }
            Err(e) => panic!("{spelling} for {pkg:?}: {e}"),
        }
    }
}

/// Randomly flips the case of ASCII letters.
fn flip_case(name: &str, flips: &[bool]) -> String {
    name.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &flip)| if flip { flip_one(c) } else { c })
        .collect()
}

fn flip_one(c: char) -> char {
    if c.is_ascii_uppercase() {
        c.to_ascii_lowercase()
    } else {
        c.to_ascii_uppercase()
    }
}

proptest! {
    #[test]
    fn handles_are_valid_lowercase_usernames(pkg in any_package(), single in any::<bool>()) {
        let handle = to_handle(&pkg, single);
        prop_assert!(is_valid_username(&handle), "{handle}");
        prop_assert!(handle.len() <= 128);
        prop_assert_eq!(&handle, &handle.to_lowercase());
        if single {
            prop_assert!(handle.len() <= 122, "the body fits under every prefix");
        } else {
            prop_assert_eq!(handle, format!("{}.{}", pkg.ecosystem(), to_handle(&pkg, true)));
        }
    }

    #[test]
    fn handles_round_trip_in_single_ecosystem_mode(pkg in any_package()) {
        let handle = to_handle(&pkg, true);
        assert_decodes(&handle, &[pkg.ecosystem()], &pkg);
    }

    #[test]
    fn handles_round_trip_in_multi_ecosystem_mode(
        pkg in any_package(),
        other in select(Ecosystem::ALL.to_vec()),
    ) {
        let handle = to_handle(&pkg, false);
        assert_decodes(&handle, &Ecosystem::ALL, &pkg);
        if other != pkg.ecosystem() {
            assert_decodes(&handle, &[other, pkg.ecosystem()], &pkg);
        }
    }

    #[test]
    fn different_packages_get_different_handles(a in any_package(), b in any_package()) {
        if (a.ecosystem(), a.key()) != (b.ecosystem(), b.key()) {
            prop_assert_ne!(to_handle(&a, false), to_handle(&b, false));
        }
        if a.ecosystem() == b.ecosystem() && a.key() != b.key() {
            prop_assert_ne!(to_handle(&a, true), to_handle(&b, true));
        }
    }

    #[test]
    fn near_npm_names_get_different_handles(
        a in npm(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
        swap in select(vec![('.', '-'), ('-', '_'), ('_', '.'), ('~', '-')]),
    ) {
        // Case flips and separator swaps give names a naive lowercasing or
        // separator-folding scheme would merge; for npm they are other packages.
        let flipped = flip_case(a.name(), &flips);
        let swapped: String = a.name().chars().map(|c| if c == swap.0 { swap.1 } else { c }).collect();
        for near in [flipped, swapped] {
            if let Ok(b) = PackageId::new(Ecosystem::Npm, &near)
                && b.key() != a.key()
            {
                prop_assert_ne!(to_handle(&a, true), to_handle(&b, true), "{} vs {}", a.name(), near);
            }
        }
    }

    #[test]
    fn crate_spellings_cargo_treats_as_equal_share_a_handle(
        a in cargo(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
        swaps in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        let variant: String = flip_case(a.name(), &flips)
            .chars()
            .zip(swaps.iter().cycle())
            .map(|(c, &swap)| match (c, swap) {
                ('-', true) => '_',
                ('_', true) => '-',
                _ => c,
            })
            .collect();
        let b = PackageId::new(Ecosystem::Cargo, &variant).unwrap();
        prop_assert_eq!(a.key(), b.key());
        prop_assert_eq!(to_handle(&a, true), to_handle(&b, true));
        prop_assert_eq!(to_handle(&a, false), to_handle(&b, false));
    }

    #[test]
    fn pypi_spellings_pep_503_treats_as_equal_share_a_handle(
        a in pypi(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
        runs in proptest::collection::vec(select(vec!["-", "_", ".", "--", "_.", "-_-"]), 1..8),
    ) {
        let mut runs = runs.iter().cycle();
        let mut variant = String::new();
        for c in flip_case(a.name(), &flips).chars() {
            match c {
                '-' | '_' | '.' => variant.push_str(runs.next().unwrap()),
                c => variant.push(c),
            }
        }
        let b = PackageId::new(Ecosystem::Pypi, &variant).unwrap();
        prop_assert_eq!(a.key(), b.key());
        prop_assert_eq!(to_handle(&a, true), to_handle(&b, true));
        prop_assert_eq!(to_handle(&a, false), to_handle(&b, false));
    }

    #[test]
    fn generic_names_differing_in_case_only_share_a_handle(
        a in generic(),
        flips in proptest::collection::vec(any::<bool>(), 1..8),
    ) {
        let b = PackageId::new(Ecosystem::Generic, &flip_case(a.name(), &flips)).unwrap();
        prop_assert_eq!(a.key(), b.key());
        prop_assert_eq!(to_handle(&a, false), to_handle(&b, false));
        prop_assert!(to_handle(&a, false).starts_with("generic."));
    }

    #[test]
    fn every_accepted_username_is_exactly_one_packages_handle(
        username in "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,40}",
        eco in select(Ecosystem::ALL.to_vec()),
        single in any::<bool>(),
    ) {
        let enabled = if single { vec![eco] } else { Ecosystem::ALL.to_vec() };
        if let Ok((decoded_eco, key)) = from_handle(&username, &enabled) {
            let pkg = PackageId::new(decoded_eco, &key).unwrap();
            prop_assert_eq!(to_handle(&pkg, single), username.to_lowercase());
        }
    }

    #[test]
    fn exactly_the_names_too_long_to_spell_out_are_hashed(pkg in any_package()) {
        let handle = to_handle(&pkg, true);
        prop_assert_eq!(handle.contains("_-"), spelled_out_len(&pkg) > 122, "{}", handle);
        if pkg.ecosystem() == Ecosystem::Cargo {
            prop_assert!(!handle.contains("_-"), "crate names are short enough to spell out");
        }
    }
}
