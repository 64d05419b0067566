//! Worked examples of the handle scheme; the general properties are checked with
//! generated names in `tests/handle_properties.rs`.

use super::*;

const CARGO: &[Ecosystem] = &[Ecosystem::Cargo];
const NPM: &[Ecosystem] = &[Ecosystem::Npm];
const PYPI: &[Ecosystem] = &[Ecosystem::Pypi];
const ALL: &[Ecosystem] = &Ecosystem::ALL;

fn handle(eco: Ecosystem, name: &str, single: bool) -> String {
    to_handle(&PackageId::new(eco, name).unwrap(), single)
}

#[test]
fn single_ecosystem_handles_are_the_names() {
    assert_eq!(handle(Ecosystem::Cargo, "serde", true), "serde");
    assert_eq!(handle(Ecosystem::Cargo, "serde_json", true), "serde_json");
    assert_eq!(handle(Ecosystem::Pypi, "requests", true), "requests");
    assert_eq!(handle(Ecosystem::Npm, "left-pad", true), "left-pad");
    assert_eq!(handle(Ecosystem::Npm, "lodash.merge", true), "lodash.merge");
    assert_eq!(handle(Ecosystem::Npm, "@types/node", true), "types__node");
}

#[test]
fn multi_ecosystem_handles_carry_the_ecosystem() {
    assert_eq!(handle(Ecosystem::Cargo, "serde", false), "cargo.serde");
    assert_eq!(
        handle(Ecosystem::Npm, "@types/node", false),
        "npm.types__node"
    );
    assert_eq!(handle(Ecosystem::Pypi, "Django", false), "pypi.django");
    assert_eq!(
        from_handle("npm.types__node", ALL).unwrap(),
        (Ecosystem::Npm, "@types/node".into())
    );
    assert_eq!(
        from_handle("pypi.django", ALL).unwrap(),
        (Ecosystem::Pypi, "django".into())
    );
    // An npm name may itself contain a '.', and still decodes unambiguously.
    assert_eq!(
        handle(Ecosystem::Npm, "cargo.serde", false),
        "npm.cargo.serde"
    );
    assert_eq!(
        from_handle("npm.cargo.serde", ALL).unwrap(),
        (Ecosystem::Npm, "cargo.serde".into())
    );
    assert_eq!(
        from_handle("cargo.serde", NPM).unwrap(),
        (Ecosystem::Npm, "cargo.serde".into())
    );
}

#[test]
fn equal_names_share_one_handle() {
    for name in ["serde-json", "serde_json", "Serde_JSON"] {
        assert_eq!(handle(Ecosystem::Cargo, name, true), "serde_json");
    }
    for name in ["Django", "django", "DJANGO"] {
        assert_eq!(handle(Ecosystem::Pypi, name, true), "django");
    }
    for name in ["zope.interface", "Zope_Interface", "zope-_.interface"] {
        assert_eq!(handle(Ecosystem::Pypi, name, true), "zope-interface");
    }
}

#[test]
fn npm_case_is_escaped_not_folded() {
    let legacy = handle(Ecosystem::Npm, "JSONStream", true);
    assert_eq!(legacy, "_j_s_o_n_stream");
    assert_ne!(legacy, handle(Ecosystem::Npm, "jsonstream", true));
    assert_eq!(
        from_handle(&legacy, NPM).unwrap(),
        (Ecosystem::Npm, "JSONStream".into())
    );
    assert_eq!(
        from_handle(&legacy.to_uppercase(), NPM).unwrap(),
        (Ecosystem::Npm, "JSONStream".into())
    );
}

#[test]
fn decoding_ignores_case() {
    assert_eq!(
        from_handle("Serde_JSON", CARGO).unwrap(),
        (Ecosystem::Cargo, "serde_json".into())
    );
    assert_eq!(
        from_handle("DJANGO", PYPI).unwrap(),
        (Ecosystem::Pypi, "django".into())
    );
    assert_eq!(
        from_handle("Cargo.Serde", ALL).unwrap(),
        (Ecosystem::Cargo, "serde".into())
    );
}

#[test]
fn other_spellings_point_at_the_canonical_handle() {
    let canonical = |h: &str, enabled: &[Ecosystem]| match from_handle(h, enabled).unwrap_err() {
        Error::NonCanonicalHandle { canonical, .. } => canonical,
        other => panic!("{h}: unexpected {other:?}"),
    };
    assert_eq!(canonical("serde-json", CARGO), "serde_json");
    assert_eq!(canonical("zope.interface", PYPI), "zope-interface");
    assert_eq!(canonical("cargo.serde-json", ALL), "cargo.serde_json");
    // `_61` is a valid escape for 'a', but not the one the encoder writes.
    assert_eq!(canonical("left_2dpad", NPM), "left-pad");
    assert_eq!(canonical("_61", NPM), "a");
}

#[test]
fn long_names_fall_back_to_a_hash() {
    let name = format!("very-long-{}", "x".repeat(190));
    let pkg = PackageId::new(Ecosystem::Npm, &name).unwrap();
    let single = to_handle(&pkg, true);
    let multi = to_handle(&pkg, false);
    assert_eq!(single.len(), MAX_BODY_LEN);
    assert_eq!(multi, format!("npm.{single}"));
    assert!(single.starts_with("very-long-xxx"), "{single}");
    assert!(is_valid_username(&multi));
    assert_eq!(
        from_handle(&single.to_uppercase(), NPM),
        Err(Error::HashedHandle {
            ecosystem: Ecosystem::Npm,
            handle: single.clone()
        })
    );
    assert_eq!(
        from_handle(&multi, ALL),
        Err(Error::HashedHandle {
            ecosystem: Ecosystem::Npm,
            handle: multi.clone()
        })
    );
    // The hash covers the whole key: names sharing the visible prefix differ.
    let other = PackageId::new(Ecosystem::Npm, &format!("{name}y")).unwrap();
    assert_ne!(to_handle(&other, true), single);

    // Stability: stored handles must never change. The hash is the first 20 hex
    // digits of `printf pypi:aaa… | sha256sum`.
    let pypi = PackageId::new(Ecosystem::Pypi, &"a".repeat(200)).unwrap();
    assert_eq!(
        to_handle(&pypi, true),
        format!("{}_-b9759541ea5a7654bb9e", "a".repeat(100))
    );
}

#[test]
fn hashed_prefix_is_cut_between_escapes_and_trimmed() {
    // 99 plain characters, then an escape that would straddle the cut.
    let name = format!("{}JSON{}", "a".repeat(99), "b".repeat(100));
    let single = handle(Ecosystem::Npm, &name, true);
    let (prefix, hash) = single.split_once("_-").unwrap();
    assert_eq!(prefix, "a".repeat(99));
    assert_eq!(hash.len(), HASH_HEX_LEN);

    let name = format!("{}-{}", "a".repeat(99), "b".repeat(100));
    let single = handle(Ecosystem::Pypi, &name, true);
    assert!(
        single.starts_with(&format!("{}_-", "a".repeat(99))),
        "{single}"
    );
}

#[test]
fn refuses_what_no_package_can_be() {
    let reason = |h: &str, enabled: &[Ecosystem]| match from_handle(h, enabled).unwrap_err() {
        Error::InvalidHandle { reason, .. } => reason,
        other => panic!("{h}: unexpected {other:?}"),
    };
    assert!(reason("", CARGO).contains("1 to 128"));
    assert!(reason(".serde", CARGO).contains("beginning and ending"));
    assert!(reason("serde-", CARGO).contains("beginning and ending"));
    assert!(reason("sérde", CARGO).contains("ASCII"));
    assert!(reason(&"a".repeat(129), CARGO).contains("1 to 128"));
    assert!(reason("9lives", CARGO).contains("must start with an ASCII letter"));
    assert!(reason("serde", ALL).contains("starts with one of cargo., npm., pypi."));
    assert!(reason("maven.serde", ALL).contains("\"maven\" is not an ecosystem"));
    assert!(reason("serde", &[]).contains("no package ecosystem is enabled"));
    assert!(reason("a_", NPM).contains("'_' at position 2"));
    assert!(reason("node__", NPM).contains("non-empty scope and name"));
    assert!(reason("_2ebin", NPM).contains("must not start with '.'"));
    assert_eq!(
        from_handle("pypi.django", CARGO_AND_NPM),
        Err(Error::EcosystemNotEnabled {
            ecosystem: Ecosystem::Pypi,
            handle: "pypi.django".into()
        })
    );
}

const CARGO_AND_NPM: &[Ecosystem] = &[Ecosystem::Cargo, Ecosystem::Npm];

#[test]
fn duplicate_enabled_entries_still_mean_one_ecosystem() {
    assert_eq!(
        from_handle("serde", &[Ecosystem::Cargo, Ecosystem::Cargo]).unwrap(),
        (Ecosystem::Cargo, "serde".into())
    );
}

#[test]
fn username_syntax() {
    for ok in [
        "a",
        "_",
        "serde",
        "types__node",
        "npm.left-pad",
        "a.-b",
        &"a".repeat(128),
    ] {
        assert!(is_valid_username(ok), "{ok}");
    }
    for bad in [
        "",
        ".a",
        "a.",
        "-a",
        "a-",
        "a b",
        "a@b",
        "a/b",
        "ß",
        &"a".repeat(129),
    ] {
        assert!(!is_valid_username(bad), "{bad}");
    }
}

#[test]
fn a_name_shaped_like_a_hash_is_still_spelled_out() {
    // `@a/-<hex>` once encoded to `a__-<hex>`, which ends like a hashed handle.
    let name = "@a/-0123456789abcdef0123";
    let single = handle(Ecosystem::Npm, name, true);
    assert_eq!(single, "a___2d0123456789abcdef0123");
    assert_eq!(
        from_handle(&single, NPM).unwrap(),
        (Ecosystem::Npm, name.into())
    );
}
