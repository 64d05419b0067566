//! `pkgfed admin …` against a `pkgfed serve --dev` subprocess: the token is found in
//! the shared database, tables and `--json` output, clear errors for a wrong token or
//! an unreachable server, and `admin events` stopping cleanly on Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::process::{Running, free_listen, pkgfed_command, serve_dev, text};

fn admin(dir: &Path, listen: &str, args: &[&str]) -> Output {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    pkgfed_command(dir, listen, &all).output().unwrap()
}

#[test]
fn admin_commands_talk_to_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let mut server = serve_dev(dir.path(), &listen);

    // The token the server generated at first start, read from the same database.
    let out = admin(dir.path(), &listen, &["token"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(
        text(&admin(dir.path(), &listen, &["token"]).stdout).trim(),
        token
    );

    let out = admin(dir.path(), &listen, &["hosts"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("no hosts yet"),
        "{}",
        text(&out.stdout)
    );
    let out = admin(dir.path(), &listen, &["hosts", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hosts"], serde_json::json!([]));

    // `serve --dev` without registry endpoints: nothing watched, and the CLI says
    // which key to set for each enabled ecosystem.
    let out = admin(dir.path(), &listen, &["registries"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("no registry configured"), "{printed}");
    assert!(
        printed.contains("cargo is enabled but not watched: set cargo.index_url"),
        "{printed}"
    );
    let out = admin(dir.path(), &listen, &["registries", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unconfigured"][2]["key"], "pypi.url");

    // A flag written by "the worker" (here: straight into the shared database).
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("pkgfed.db").display());
        let store = pkgfed::store::open(&url).await.unwrap();
        store
            .flag_domain(
                "bad.example",
                "3 deliveries refused with 403 within 24 hours",
                0,
            )
            .await
            .unwrap();
    });
    let out = admin(dir.path(), &listen, &["flagged-domains"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("DOMAIN"), "{table}");
    assert!(table.contains("bad.example"), "{table}");
    assert!(table.contains("1970-01-01 00:00:00Z"), "{table}");
    let out = admin(
        dir.path(),
        &listen,
        &["clear-flagged-domain", "bad.example"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cleared the flag on bad.example"));
    let out = admin(
        dir.path(),
        &listen,
        &["clear-flagged-domain", "bad.example"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not flagged"),
        "{}",
        text(&out.stderr)
    );
    let out = admin(dir.path(), &listen, &["flagged-domains"]);
    assert!(text(&out.stdout).contains("no flagged domains"));

    // Domain blocks at run time: block, list (table and JSON), unblock.
    let out = admin(dir.path(), &listen, &["blocks"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no blocked domains"));
    let out = admin(
        dir.path(),
        &listen,
        &["block", "Spam.Example", "--reason", "spam wave"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("blocked spam.example and its subdomains"),
        "{}",
        text(&out.stdout)
    );
    let out = admin(dir.path(), &listen, &["block", "spam.example"]);
    assert!(text(&out.stdout).contains("was already blocked"));
    let out = admin(dir.path(), &listen, &["block", "https://spam.example/"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("only the host"),
        "{}",
        text(&out.stderr)
    );
    let table = text(&admin(dir.path(), &listen, &["blocks"]).stdout);
    assert!(table.starts_with("DOMAIN"), "{table}");
    assert!(
        table.contains("spam.example") && table.contains("runtime") && table.contains("spam wave"),
        "{table}"
    );
    let out = admin(dir.path(), &listen, &["blocks", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["domain_blocks"][0]["domain"], "spam.example");
    assert_eq!(v["allowlist_mode"], false);
    let out = admin(dir.path(), &listen, &["unblock", "spam.example"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("unblocked spam.example"));
    let out = admin(dir.path(), &listen, &["unblock", "spam.example"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not blocked"),
        "{}",
        text(&out.stderr)
    );

    let out = admin(
        dir.path(),
        &listen,
        &["dead-followers", "--package", "pkg:cargo/nope"],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("404"), "{}", text(&out.stderr));

    // A wrong token, or no server at the URL: say what to do.
    let wrong = "x".repeat(43);
    let out = admin(dir.path(), &listen, &["hosts", "--token", &wrong]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("refused the admin token"), "{err}");
    assert!(
        !err.contains(&token),
        "the real token is never printed: {err}"
    );
    let elsewhere = format!("http://{}", free_listen());
    let out = admin(dir.path(), &listen, &["hosts", "--url", &elsewhere]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("is `pkgfed serve` running there?"), "{err}");
    assert!(err.contains(&elsewhere), "{err}");

    // `admin events` streams until Ctrl-C, then exits cleanly.
    let mut events = Running(
        pkgfed_command(dir.path(), &listen, &["admin", "events"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let stderr = events.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let since = Instant::now();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("admin events said nothing");
        if line.contains("streaming events") {
            break;
        }
        assert!(since.elapsed() < Duration::from_secs(15), "not streaming");
    }
    events.signal("-INT");
    assert!(events.wait_exit("admin events").success());

    server.signal("-TERM");
    assert!(server.wait_exit("the server").success());
}
