//! `verify-cost`: what one signed inbox POST costs in CPU before it touches the
//! database, piece by piece, through the same `pkgfed_protocol` calls pkgfed makes
//! (aws-lc-rs underneath). Single thread unless noted.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use clap::Args;
use http::{HeaderMap, HeaderValue, Method};
use pkgfed_protocol::keys::{PublicKey, RsaPrivateKey};
use pkgfed_protocol::signatures::{self, VerifyOptions};
use serde_json::json;

/// `pkgfed-bench verify-cost`
#[derive(Debug, Args)]
pub struct VerifyCostArgs {
    /// Iterations of each operation (1 to 1000000).
    #[arg(long, default_value_t = 5_000)]
    pub iterations: usize,
}

fn row(what: &str, n: usize, took: Duration) {
    let per = took.as_secs_f64() / n as f64;
    println!(
        "{what:<62} {:>10.2} µs/op {:>10.0} op/s/core",
        per * 1e6,
        1.0 / per
    );
}

fn time<T>(n: usize, mut f: impl FnMut(usize) -> Result<T>) -> Result<Duration> {
    let t = Instant::now();
    for i in 0..n {
        black_box(f(i)?);
    }
    Ok(t.elapsed())
}

/// Runs the micro-benchmark.
pub fn run(args: &VerifyCostArgs) -> Result<()> {
    let n = args.iterations;
    if !(1..=1_000_000).contains(&n) {
        bail!("--iterations must be 1 to 1000000");
    }
    println!("{n} iterations per operation");

    let keygen_n = 5;
    let t = Instant::now();
    let mut key = None;
    for _ in 0..keygen_n {
        key = Some(RsaPrivateKey::generate().context("key generation failed")?);
    }
    row("RSA-2048 key generation", keygen_n, t.elapsed());
    let key = key.context("no key")?;
    let pem = key.public_key_pem();
    let public = PublicKey::from_pem(&pem)?;

    // A realistic draft-cavage request: a Create{Note} to the shared inbox.
    let body = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://social.example/users/alice/statuses/1/activity",
        "type": "Create",
        "actor": "https://social.example/users/alice",
        "to": ["https://pkgs.example.org/packages/cargo.serde"],
        "cc": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": "https://social.example/users/alice/statuses/1",
            "type": "Note",
            "attributedTo": "https://social.example/users/alice",
            "to": ["https://pkgs.example.org/packages/cargo.serde"],
            "content": "<p>Benchmark note: does the new release fix the build on musl targets?</p>",
        },
    }))?;
    let url: url::Url = "https://pkgs.example.org/inbox".parse()?;
    let key_id = "https://social.example/users/alice#main-key";
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    signatures::sign_cavage(&Method::POST, &url, &mut headers, Some(&body), key_id, &key)?;
    let opts = || VerifyOptions {
        max_skew: Duration::from_secs(3600),
        now: SystemTime::now(),
        scheme: "https".into(),
    };
    let parsed = signatures::parse_request(&Method::POST, "/inbox", &headers, &body, &opts())?;
    parsed.verify(&public)?;
    let signing_string = format!(
        "(request-target): post /inbox\nhost: pkgs.example.org\ndate: Tue, 01 Jul 2025 12:00:00 GMT\ndigest: {}",
        signatures::digest_header(&body)
    );

    row(
        "RSA-2048 PKCS#1 v1.5 SHA-256 sign (keys::sign_pkcs1_sha256)",
        n,
        time(n, |_| Ok(key.sign_pkcs1_sha256(signing_string.as_bytes())?))?,
    );
    let sig = key.sign_pkcs1_sha256(signing_string.as_bytes())?;
    row(
        "RSA-2048 PKCS#1 v1.5 SHA-256 verify (verify_pkcs1_sha256)",
        n,
        time(n, |_| {
            Ok(public.verify_pkcs1_sha256(signing_string.as_bytes(), &sig)?)
        })?,
    );
    row(
        "public key PEM parse (PublicKey::from_pem)",
        n,
        time(n, |_| Ok(PublicKey::from_pem(&pem)?))?,
    );
    row(
        "sign a whole request (signatures::sign_cavage)",
        n,
        time(n, |_| {
            let mut h = HeaderMap::new();
            signatures::sign_cavage(&Method::POST, &url, &mut h, Some(&body), key_id, &key)?;
            Ok(h)
        })?,
    );
    row(
        &format!(
            "parse + digest check, {} B body (parse_request)",
            body.len()
        ),
        n,
        time(n, |_| {
            Ok(signatures::parse_request(
                &Method::POST,
                "/inbox",
                &headers,
                &body,
                &opts(),
            )?)
        })?,
    );
    row(
        "parse_request + from_pem + verify (pkgfed's per-POST crypto)",
        n,
        time(n, |_| {
            let p = signatures::parse_request(&Method::POST, "/inbox", &headers, &body, &opts())?;
            let k = PublicKey::from_pem(&pem)?;
            p.verify(&k)?;
            Ok(())
        })?,
    );
    row(
        "JSON parse of the activity (serde_json::Value)",
        n,
        time(n, |_| {
            Ok(serde_json::from_slice::<serde_json::Value>(&body)?)
        })?,
    );

    // Every core verifying at once: the ceiling RSA puts on inbox throughput.
    let threads = std::thread::available_parallelism().map_or(2, |c| c.get());
    let per_thread = n.div_ceil(threads);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    black_box(
                        public
                            .verify_pkcs1_sha256(signing_string.as_bytes(), &sig)
                            .is_ok(),
                    );
                }
            });
        }
    });
    let took = t.elapsed();
    println!(
        "RSA-2048 verify on {threads} threads: {:.0} verifications/s in total",
        (per_thread * threads) as f64 / took.as_secs_f64()
    );
    Ok(())
}
