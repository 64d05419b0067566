//! Interoperability with an independent ActivityPub implementation: Fedify (the npm
//! package `@fedify/fedify`, version pinned in `interop/fedify/package.json`) follows and
//! unfollows a package actor of the real server on a loopback port.
//!
//! `interop/fedify/check.mjs` starts a Fedify federation with its own `tester` actor
//! (RSA key from Fedify's `generateCryptoKeyPair`; served only to signed requests) and,
//! with Fedify's own client code, checks that:
//! - WebFinger (`lookupWebFinger` on the actor's http URL) and `lookupObject` resolve the
//!   package to an Application/Service with inbox, followers and publicKey;
//! - a Follow sent by `ctx.sendActivity` (Fedify's default signature, RFC 9421 first with
//!   draft-cavage as the double-knock fallback) is taken, and pkgfed's signed GET of the
//!   tester's key, as its instance actor, passes Fedify's verification;
//! - pkgfed's Accept reaches Fedify's inbox listener, i.e. Fedify verified its HTTP
//!   signature and key owner, and its object is the Follow sent; Fedify's inbox refuses an
//!   unsigned and a tampered Accept with 401, so verification is really on;
//! - the followers collection's totalItems goes 0 → 1, and back to 0 after an
//!   Undo{Follow} signed draft-cavage and sent to the shared inbox.
//!
//! Needs Node.js and the npm packages: `npm ci --prefix interop/fedify`. Without them
//! this test fails and says so; it never skips. See docs/interop.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;

/// The script bounds itself to 30 s; this only catches a Node that never gets that far.
const HARD_LIMIT: Duration = Duration::from_secs(90);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Run {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs `node interop/fedify/check.mjs <base> <handle>` from the repo root, killing it
/// past [`HARD_LIMIT`].
fn run_check(root: &Path, base: &str, handle: &str, admin_token: &str) -> Run {
    let mut child = Command::new("node")
        .arg("interop/fedify/check.mjs")
        .arg(base)
        .arg(handle)
        .env("PKGFED_ADMIN_TOKEN", admin_token)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "could not start `node` ({e}): the Fedify interop check needs Node.js >= 20 on PATH"
            )
        });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let (success, status) = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break (status.success(), status.to_string());
        }
        if started.elapsed() > HARD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break (false, format!("killed after {} s", HARD_LIMIT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        success,
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

#[tokio::test]
async fn fedify_follows_gets_a_verified_accept_and_unfollows() {
    let root = repo_root();
    let modules = root.join("interop/fedify/node_modules/@fedify/fedify");
    assert!(
        modules.is_dir(),
        "{} is missing: install the Fedify interop peer's packages first with \
         `npm ci --prefix interop/fedify` (from the repository root), then rerun \
         `cargo test -p pkgfed --test interop_fedify`",
        modules.display()
    );

    let server = TestServer::start().await;
    let package = server.add_package("pkg:cargo/serde").await;
    let base = server.base.clone();
    let handle = package.handle.clone();
    let token = server.state.admin_token.clone();
    let run = tokio::task::spawn_blocking(move || run_check(&root, &base, &handle, &token))
        .await
        .unwrap();

    let transcript = format!(
        "node interop/fedify/check.mjs {} {}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        server.base, package.handle, run.status, run.stdout, run.stderr
    );
    assert!(run.success, "the Fedify interop check failed\n{transcript}");
    assert!(
        run.stdout.contains("\nPASS: Fedify "),
        "no PASS line\n{transcript}"
    );
    assert!(
        run.stdout
            .contains("Fedify verified the Update{actor} signed with the new key"),
        "the key rotation step did not pass\n{transcript}"
    );
    assert!(
        run.stdout.contains("followers totalItems: 0 -> 1 -> 0"),
        "followers count did not go 0 -> 1 -> 0\n{transcript}"
    );
    // pkgfed's own view agrees: the follower came and went.
    assert_eq!(
        server
            .state
            .store
            .count_followers(package.id)
            .await
            .unwrap(),
        0,
        "{transcript}"
    );
    println!("{transcript}");
}
