//! `pkgfed serve --dev` with `PKGFED_LOG_FORMAT=json`: every stderr line is a JSON
//! object, request lines carry the request id the response header shows (the
//! client's when sane, a generated one otherwise), and the admin token never appears.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const TOKEN: &str = "log-test-admin-token-0123456789abcdefghij";

/// A raw HTTP/1.1 GET; returns the response head and body.
fn get(listen: &str, path: &str, extra: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(listen).ok()?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {listen}\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    Some(buf)
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
}

#[test]
fn json_logs_carry_the_request_id_of_the_response_header() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pkgfed"))
        .current_dir(dir.path())
        .args(["serve", "--dev"])
        .env_clear()
        .env("PKGFED_SERVER_LISTEN", &listen)
        .env("PKGFED_LOG_FORMAT", "json")
        .env("PKGFED_LOG", "info,pkgfed::access=debug")
        .env("PKGFED_ADMIN_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while get(&listen, "/healthz", "").is_none_or(|r| !r.starts_with("HTTP/1.1 200")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let given = get(&listen, "/readyz", "X-Request-Id: probe-42\r\n").unwrap();
    assert_eq!(header(&given, "x-request-id"), Some("probe-42"));
    let replaced = get(&listen, "/healthz", "X-Request-Id: not sane!\r\n").unwrap();
    let generated = header(&replaced, "x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let unknown = get(&listen, "/no/such/page", "").unwrap();
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    let unknown_id = header(&unknown, "x-request-id").unwrap().to_owned();
    let admin = get(
        &listen,
        "/api/v1/admin/hosts",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
    )
    .unwrap();
    assert!(admin.starts_with("HTTP/1.1 200"), "{admin}");

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(exit.success(), "{stderr}");
    assert!(
        !stderr.contains(TOKEN),
        "the admin token was logged: {stderr}"
    );

    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "pkgfed serving"),
        "{stderr}"
    );
    let request_line = |id: &str| {
        lines
            .iter()
            .find(|l| l["span"]["request_id"] == id && l["message"] == "request finished")
            .unwrap_or_else(|| panic!("no request line with id {id}: {stderr}"))
            .clone()
    };
    let probe = request_line("probe-42");
    assert_eq!(probe["span"]["route"], "/readyz");
    assert_eq!(probe["span"]["method"], "GET");
    assert_eq!(probe["status"], 200);
    assert_eq!(request_line(&generated)["span"]["route"], "/healthz");
    let missing = request_line(&unknown_id);
    assert_eq!(missing["span"]["route"], "unmatched");
    assert_eq!(missing["status"], 404);
}
