//! `inbox`: signed POSTs to the shared inbox.
//!
//! A package actor is added with `pkgfed packages add`, a loopback peer publishes
//! the signer's key, and `requests + warmup` distinct activities (unique ids) are
//! signed in advance with draft-cavage `rsa-sha256` (as Mastodon signs), so the
//! client spends no CPU on RSA during the measurement. The first warm-up request
//! makes pkgfed fetch and cache the key; the rest warm the connection pool. Then
//! `requests` POSTs go out over `concurrency` keep-alive connections; every one
//! must be answered 202.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::{Args, ValueEnum};
use http::{HeaderMap, HeaderValue, Method};
use http_body_util::Full;
use pkgfed_protocol::keys::RsaPrivateKey;
use pkgfed_protocol::signatures::sign_cavage;
use serde_json::json;

use crate::load::{self, Plan, Req};
use crate::peer::Peer;
use crate::server::{CpuProbe, Setup, free_port, pkgfed_bin};
use crate::{Common, stats};

/// Most requests one run may sign and send.
const MAX_REQUESTS: usize = 200_000;

/// `pkgfed-bench inbox`
#[derive(Debug, Args)]
pub struct InboxArgs {
    /// Measured requests (each a distinct signed activity), at most 200000.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Parallel keep-alive connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Unmeasured requests sent first (the first one makes pkgfed fetch the key).
    #[arg(long, default_value_t = 500)]
    pub warmup: usize,
    /// Stop the measured phase after this many seconds even if not done.
    #[arg(long, default_value_t = 120)]
    pub max_seconds: u64,
    /// The activity type sent.
    #[arg(long, value_enum, default_value_t = Kind::Create)]
    pub kind: Kind,
    /// Keep the temporary directory (database, server log) and print its path.
    #[arg(long)]
    pub keep: bool,
    /// Run pkgfed on this database instead of a SQLite file in the temporary
    /// directory, e.g. an empty PostgreSQL database
    /// (`postgres://user:password@127.0.0.1:5432/bench`).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Server and client options.
    #[command(flatten)]
    pub common: Common,
}

/// Which activity to send.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// `Create` of a `Note` addressed to the package actor (about 700 bytes).
    Create,
    /// `Like` of the package actor (about 250 bytes).
    Like,
}

/// One pre-signed POST.
pub struct Signed {
    headers: HeaderMap,
    body: Bytes,
}

pub fn activity(kind: Kind, peer: &Peer, package_actor: &str, i: usize) -> serde_json::Value {
    let actor = peer.actor();
    match kind {
        Kind::Create => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/statuses/{i}/activity"),
            "type": "Create",
            "actor": actor,
            "published": "2025-01-01T00:00:00Z",
            "to": [package_actor],
            "cc": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": format!("{actor}/statuses/{i}"),
                "type": "Note",
                "attributedTo": actor,
                "published": "2025-01-01T00:00:00Z",
                "to": [package_actor],
                "cc": ["https://www.w3.org/ns/activitystreams#Public"],
                "content": format!("<p>Benchmark note {i}: does the new release fix the build on musl targets?</p>"),
                "tag": [{ "type": "Mention", "href": package_actor }],
            },
        }),
        Kind::Like => json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/likes/{i}"),
            "type": "Like",
            "actor": actor,
            "object": package_actor,
        }),
    }
}

/// Signs `count` activities on every core.
pub fn presign(
    count: usize,
    key: &RsaPrivateKey,
    key_id: &str,
    inbox: &url::Url,
    body_of: &(dyn Fn(usize) -> Vec<u8> + Sync),
) -> Result<Vec<Signed>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = count.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Signed>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                s.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(|i| {
                            let body = body_of(i);
                            let mut headers = HeaderMap::new();
                            headers.insert(
                                http::header::CONTENT_TYPE,
                                HeaderValue::from_static("application/activity+json"),
                            );
                            sign_cavage(
                                &Method::POST,
                                inbox,
                                &mut headers,
                                Some(&body),
                                key_id,
                                key,
                            )
                            .context("signing failed")?;
                            Ok(Signed {
                                headers,
                                body: Bytes::from(body),
                            })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a signing thread panicked")))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(count);
    for p in parts {
        all.extend(p?);
    }
    Ok(all)
}

pub fn request(s: &Signed) -> Req {
    let mut req = http::Request::new(Full::new(s.body.clone()));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = http::Uri::from_static("/inbox");
    *req.headers_mut() = s.headers.clone();
    req
}

/// Runs the benchmark.
pub async fn run(args: InboxArgs) -> Result<()> {
    if args.requests == 0 || args.requests > MAX_REQUESTS {
        bail!("--requests must be 1 to {MAX_REQUESTS}");
    }
    let concurrency = args.concurrency.clamp(1, 1024);
    let warmup = args.warmup.clamp(1, 20_000);
    let bin = pkgfed_bin(args.common.pkgfed.as_deref())?;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let mut setup = Setup::new(bin, dir.path());
    if let Some(url) = &args.database_url {
        setup.database_url = url.clone();
    }
    println!(
        "database {}",
        pkgfed::store::redacted_url(&setup.database_url)
    );
    let port = free_port()?;

    let handle = setup.add_package(port, "pkg:cargo/serde")?;
    let package_actor = format!("http://127.0.0.1:{port}/packages/{handle}");
    let key = RsaPrivateKey::generate().context("cannot generate the peer key")?;
    let peer = Peer::start(&key.public_key_pem()).await?;
    let inbox: url::Url = format!("http://127.0.0.1:{port}/inbox").parse()?;

    let total = warmup + args.requests;
    let t = Instant::now();
    let kind = args.kind;
    let key_id = peer.key_id();
    let signed = {
        let peer = &peer;
        let package_actor = &package_actor;
        let body_of = move |i: usize| {
            serde_json::to_vec(&activity(kind, peer, package_actor, i)).unwrap_or_default()
        };
        tokio::task::block_in_place(|| presign(total, &key, &key_id, &inbox, &body_of))?
    };
    let sign_time = t.elapsed();
    let avg_body = signed.iter().map(|s| s.body.len()).sum::<usize>() / total.max(1);
    println!(
        "signed {total} activities ({kind:?}, ~{avg_body} bytes each) in {:.1} s on all cores",
        sign_time.as_secs_f64()
    );

    let server = setup.start(port, "inbox")?;
    println!(
        "pkgfed pid {} on {}; peer {}; package actor {package_actor}",
        server.pid(),
        server.base(),
        peer.base
    );
    // Indices 0..warmup are the warm-up, warmup.. the measured requests.
    let signed = Arc::new(signed);

    // 1. One request: pkgfed fetches the key from the peer and caches it.
    let first = {
        let signed = signed.clone();
        load::run(
            server.addr,
            Plan {
                concurrency: 1,
                max_requests: 1,
                max_duration: Duration::from_secs(30),
            },
            Arc::new(move |i| request(&signed[i])),
        )
        .await?
    };
    if first.unexpected(202) > 0 {
        bail!(
            "the first signed POST was not accepted: {:?} {:?}; server log:\n{}",
            first.statuses,
            first.error_samples,
            server.log_tail()
        );
    }
    // 2. The rest of the warm-up, at full concurrency.
    let rest = {
        let signed = signed.clone();
        load::run(
            server.addr,
            Plan {
                concurrency,
                max_requests: warmup - 1,
                max_duration: Duration::from_secs(60),
            },
            Arc::new(move |i| request(&signed[1 + i])),
        )
        .await?
    };
    println!(
        "warm-up: {} requests, {} not 202; the peer's actor document was fetched {} time(s)",
        warmup,
        rest.unexpected(202) + first.unexpected(202),
        peer.fetches()
    );

    // 3. Measured.
    let probe = CpuProbe::start(&server)?;
    let mut outcome = {
        let signed = signed.clone();
        load::run(
            server.addr,
            Plan {
                concurrency,
                max_requests: args.requests,
                max_duration: Duration::from_secs(args.max_seconds.clamp(1, 600)),
            },
            Arc::new(move |i| request(&signed[warmup + i])),
        )
        .await?
    };
    let cpu = probe.finish()?;
    let mem = server.memory()?;
    let fetches = peer.fetches();
    let name = format!(
        "inbox: {} signed POST /inbox ({kind:?}), {concurrency} connections",
        outcome.answered()
    );
    stats::report(&name, &mut outcome, 202, cpu);
    println!(
        "server   VmRSS {} KiB, VmHWM {} KiB; key fetches from the peer: {fetches}",
        mem.rss_kib, mem.hwm_kib
    );
    server.stop()?;

    let stored = pkgfed::store::open(&setup.database_url)
        .await
        .context("cannot open the database to count what was stored")?
        .counts()
        .await?
        .inbound_activities;
    println!(
        "stored   {stored} inbound activities (expected {} = warm-up + answered 202)",
        (warmup as u64).saturating_sub(first.unexpected(202) + rest.unexpected(202))
            + outcome.statuses.get(&202).copied().unwrap_or_default()
    );
    if args.keep {
        println!("kept {}", dir.keep().display());
    }
    if outcome.unexpected(202) > 0 {
        bail!("{} requests were not answered 202", outcome.unexpected(202));
    }
    Ok(())
}
