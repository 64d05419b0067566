//! `pkgfed admin …` against a `pkgfed serve --dev` subprocess: the token is found in
//! the shared database, tables and `--json` output, clear errors for a wrong token or
//! an unreachable server, and `admin events` stopping cleanly on Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(dir: &Path, listen: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pkgfed"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PKGFED_SERVER_LISTEN", listen);
    cmd
}

fn admin(dir: &Path, listen: &str, args: &[&str]) -> Output {
    let mut all = vec!["admin"];
    all.extend_from_slice(args);
    command(dir, listen, &all).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A child process, killed if the test fails before it stops.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `pkgfed serve --dev` in `dir`, once it answers.
fn serve(dir: &Path, listen: &str) -> Running {
    let child = Running(
        command(dir, listen, &["serve", "--dev"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(listen) {
            s.write_all(
                format!("GET /.well-known/nodeinfo HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .unwrap();
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                return child;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Running, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

fn wait(child: &mut Running, what: &str) -> std::process::ExitStatus {
    let since = Instant::now();
    loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            return exit;
        }
        assert!(
            since.elapsed() < Duration::from_secs(15),
            "{what} did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn admin_commands_talk_to_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = serve(dir.path(), &listen);

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
    let elsewhere = format!("http://127.0.0.1:{}", free_port());
    let out = admin(dir.path(), &listen, &["hosts", "--url", &elsewhere]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("is `pkgfed serve` running there?"), "{err}");
    assert!(err.contains(&elsewhere), "{err}");

    // `admin events` streams until Ctrl-C, then exits cleanly.
    let mut events = Running(
        command(dir.path(), &listen, &["admin", "events"])
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
    signal(&events, "-INT");
    assert!(wait(&mut events, "admin events").success());

    signal(&server, "-TERM");
    assert!(wait(&mut server, "the server").success());
}
