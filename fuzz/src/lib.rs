//! Oracles shared by the fuzz targets: besides "never panics", properties the
//! rest of pkgfed relies on when it consumes what a parser returned.

use pkgfed_registries::Ecosystem;
use pkgfed_registries::versions;

/// How many versions of one document the ordering oracle looks at; enough to
/// mix every kind of version string a document holds, small enough to stay fast.
const MAX_VERSIONS: usize = 64;

/// The watcher sorts every version list a registry returns and picks the newest
/// one. Both must not panic (`sort_by` may panic on a comparison that is not a
/// total order) and the comparison must be antisymmetric, or "newest" would
/// depend on the order the registry happened to list versions in.
pub fn check_version_order<S: AsRef<str>>(ecosystem: Ecosystem, listed: &[S]) {
    let listed: Vec<&str> = listed
        .iter()
        .take(MAX_VERSIONS)
        .map(AsRef::as_ref)
        .collect();
    for pair in listed.windows(2) {
        let forward = versions::compare(ecosystem, pair[0], pair[1]);
        let backward = versions::compare(ecosystem, pair[1], pair[0]);
        assert_eq!(
            forward,
            backward.reverse(),
            "compare({:?}, {:?}) is not antisymmetric in {ecosystem:?}",
            pair[0],
            pair[1]
        );
    }
    let mut sorted = listed.clone();
    versions::sort(ecosystem, &mut sorted);
    let _ = versions::newest(ecosystem, listed.iter().copied(), false);
    let _ = versions::newest(ecosystem, listed.iter().copied(), true);
}

/// Asks a parsed advisory everything the advisory pipeline asks: for every
/// package it names, whether it affects the package, which of the versions it
/// mentions (and a few common ones) are affected, the newest affected one, the
/// fixed versions and the affected-range description; then its ids and CVSS
/// score. None of it may panic, and the newest affected version must be one of
/// the affected ones.
pub fn exercise_advisory(advisory: &pkgfed_registries::advisories::Advisory) {
    use pkgfed_registries::PackageId;
    use pkgfed_registries::advisories::{
        affected_versions, affects, matching::describe_affected, newest_affected,
    };

    let _ = advisory.ids();
    let _ = advisory.cvss();
    let _ = advisory.severity_label();
    let _ = advisory.informational();
    for entry in advisory.affected.iter().take(8) {
        let Some((ecosystem, name)) = entry.package.key() else {
            continue;
        };
        let Ok(package) = PackageId::new(ecosystem, &name) else {
            continue;
        };
        let mut candidates: Vec<String> = ["0.0.0", "0.1.0", "1.0.0", "1.0.0-alpha.1", "2.0"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        candidates.extend(entry.versions.iter().take(MAX_VERSIONS).cloned());
        for range in entry.ranges.iter().take(8) {
            candidates.extend(range.events.iter().take(16).map(|e| e.version().to_owned()));
        }
        let _ = affects(advisory, &package);
        let affected = affected_versions(advisory, &package, &candidates);
        if let Some(newest) =
            newest_affected(advisory, &package, candidates.iter().map(String::as_str))
        {
            assert!(
                affected.iter().any(|v| v == newest),
                "newest affected version {newest:?} is not among the affected {affected:?}"
            );
        }
        let _ = advisory.fixed_versions(&package);
        let _ = describe_affected(advisory, &package);
        check_version_order(ecosystem, &candidates);
    }
}

/// The fixed request around a fuzzed signature header.
pub mod signatures {
    use std::sync::OnceLock;
    use std::time::{Duration, SystemTime};

    use http::{HeaderMap, HeaderValue, Method};
    use pkgfed_protocol::keys::{Ed25519PrivateKey, PublicKey, RsaPrivateKey};
    use pkgfed_protocol::signatures::{
        VerifyOptions, content_digest_header, digest_header, parse_request,
    };

    /// The body of the fuzzed request.
    pub const BODY: &[u8] = br#"{"type":"Follow"}"#;

    /// The request's `Date` and the verifier's clock: 2026-01-01T00:00:00Z.
    pub const NOW_UNIX: u64 = 1_767_225_600;

    /// `Host`, `Date` and the body digest an inbox POST carries, so a fuzzed
    /// signature header is the only thing wrong with the request.
    pub fn request_headers(rfc9421: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("pkgfed.example"));
        headers.insert(
            "date",
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:00 GMT"),
        );
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/activity+json"),
        );
        let (name, value) = if rfc9421 {
            ("content-digest", content_digest_header(BODY))
        } else {
            ("digest", digest_header(BODY))
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
        headers
    }

    /// An RSA and an Ed25519 public key, made once per fuzzing process.
    fn keys() -> &'static [PublicKey] {
        static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            let mut keys = Vec::new();
            if let Ok(rsa) = RsaPrivateKey::generate() {
                keys.push(rsa.public_key());
            }
            if let Ok(ed25519) = Ed25519PrivateKey::generate() {
                keys.push(ed25519.public_key());
            }
            keys
        })
    }

    /// Parses the request's signature as the inbound pipeline does and, when
    /// it parses, verifies it against each key (which must fail, never panic).
    pub fn exercise(method: &Method, headers: &HeaderMap) {
        let opts = VerifyOptions {
            max_skew: Duration::from_secs(3600),
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_UNIX),
            scheme: "https".to_owned(),
        };
        if let Ok(parsed) = parse_request(method, "/inbox", headers, BODY, &opts) {
            // The pipeline fetches the signer from the key id next.
            let _ = url::Url::parse(&parsed.key_id);
            for key in keys() {
                assert!(
                    parsed.verify(key).is_err(),
                    "a fuzzed signature verified with a freshly generated key"
                );
            }
        }
    }
}

/// The fixed local instance and remote signer around a fuzzed inbound activity.
pub mod inbound {
    use std::sync::OnceLock;

    use pkgfed::federation::urls::Urls;
    use pkgfed::inbound::signer::Signer;
    use pkgfed_protocol::keys::{Ed25519PrivateKey, PublicKey};

    /// This instance's URLs: `https://pkgfed.example/`.
    pub fn urls() -> &'static Urls {
        static URLS: OnceLock<Urls> = OnceLock::new();
        URLS.get_or_init(|| {
            let base = url::Url::parse("https://pkgfed.example/").unwrap_or_else(|e| panic!("{e}"));
            Urls::new(&base)
        })
    }

    fn key() -> &'static (String, PublicKey) {
        static KEY: OnceLock<(String, PublicKey)> = OnceLock::new();
        KEY.get_or_init(|| {
            let key = Ed25519PrivateKey::generate().unwrap_or_else(|e| panic!("{e}"));
            (key.public_key_pem(), key.public_key())
        })
    }

    /// A verified signer owning `actor`, as the pipeline hands it to validation.
    pub fn signer_for(actor: &str) -> Signer {
        let (pem, key) = key().clone();
        Signer {
            key_id: format!("{actor}#main-key"),
            actor_id: actor.to_owned(),
            inbox: format!("{actor}/inbox"),
            shared_inbox: None,
            pem,
            key,
            fetched_at: 0,
            fresh: false,
        }
    }
}

/// Runs a registry response parser that returns a [`Snapshot`] on `data`, as
/// the adapter would for `name` in `ecosystem`, then the version-order oracle
/// on what it returned.
///
/// [`Snapshot`]: pkgfed_registries::adapter::Snapshot
pub fn check_snapshot_parser(
    ecosystem: Ecosystem,
    name: &str,
    data: &[u8],
    parse: fn(
        &[u8],
        &pkgfed_registries::PackageId,
    ) -> Result<
        pkgfed_registries::adapter::Snapshot,
        pkgfed_registries::adapter::RegistryError,
    >,
) {
    let Ok(package) = pkgfed_registries::PackageId::new(ecosystem, name) else {
        return;
    };
    if let Ok(snapshot) = parse(data, &package) {
        let listed: Vec<&str> = snapshot
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect();
        check_version_order(ecosystem, &listed);
    }
}
