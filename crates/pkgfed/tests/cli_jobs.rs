//! The long admin jobs against a `pkgfed serve --dev` subprocess: importing packages
//! from a file (a bad line is named and nothing is imported; progress as plain lines
//! when stderr is not a terminal; a second run skips what exists), the cleanup of
//! dead followers, and `--json` output of the admin list commands.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn command(dir: &Path, listen: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pkgfed"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PKGFED_SERVER_LISTEN", listen);
    cmd
}

fn run(dir: &Path, listen: &str, args: &[&str]) -> Output {
    command(dir, listen, args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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
                format!("GET /healthz HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n")
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

fn packages(dir: &Path, listen: &str) -> Vec<String> {
    let out = run(dir, listen, &["packages", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn import_packages_checks_every_line_first_and_shows_progress() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let _server = serve(dir.path(), &listen);

    // Line 7 is not a purl and line 9 names a disabled ecosystem: both are named,
    // nothing is imported.
    let mut lines: Vec<String> = (1..=6).map(|i| format!("pkg:cargo/crate-{i}")).collect();
    lines.push("cargo/not-a-purl".into());
    lines.push("# a comment".into());
    lines.push("pkg:maven/org.example/x".into());
    std::fs::write(dir.path().join("bad.txt"), lines.join("\n")).unwrap();
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "bad.txt"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.txt:7:"), "{err}");
    assert!(err.contains("bad.txt:9:"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert!(packages(dir.path(), &listen).is_empty(), "no state change");
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "missing.txt"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("missing.txt"),
        "{}",
        text(&out.stderr)
    );

    // 27 good lines (and a blank one): two batches, each a plain progress line.
    let mut good: Vec<String> = (1..=26).map(|i| format!("pkg:cargo/crate-{i}")).collect();
    good.insert(3, String::new());
    good.push("pkg:npm/%40types/node".into());
    std::fs::write(dir.path().join("good.txt"), good.join("\n")).unwrap();
    let out = run(
        dir.path(),
        &listen,
        &["admin", "import-packages", "good.txt"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let progress: Vec<String> = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("importing packages: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        progress,
        ["importing packages: 25/27", "importing packages: 27/27"],
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("imported 27 new package(s); 0 already present"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(packages(dir.path(), &listen).len(), 27);

    // Again, with --json: everything exists, nothing is created twice.
    let out = run(
        dir.path(),
        &listen,
        &["admin", "--json", "import-packages", "good.txt"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["created"].as_array().unwrap().len(), 0);
    assert_eq!(v["existing"].as_array().unwrap().len(), 27);
    assert_eq!(packages(dir.path(), &listen).len(), 27);

    // The cleanup job with nothing to remove, and the list commands' --json.
    let out = run(
        dir.path(),
        &listen,
        &["admin", "--json", "cleanup-dead-followers"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["removed"], 0);
    for (cmd, key) in [
        ("failures", "failures"),
        ("dead-followers", "dead_followers"),
        ("flagged-domains", "flagged_domains"),
        ("hosts", "hosts"),
        ("registries", "registries"),
    ] {
        let out = run(dir.path(), &listen, &["admin", "--json", cmd]);
        assert!(out.status.success(), "{cmd}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{cmd} --json is not JSON ({e}): {}", text(&out.stdout)));
        assert!(v[key].is_array(), "{cmd}: {v}");
    }
}
