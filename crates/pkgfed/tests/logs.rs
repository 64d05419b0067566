//! `pkgfed serve --dev` with `PKGFED_LOG_FORMAT=json`: every stderr line is a JSON
//! object, request lines carry the request id the response header shows (the
//! client's when sane, a generated one otherwise), and the admin token never appears.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::process::{free_listen, raw_get, wait_healthy};
use serde_json::Value;

const TOKEN: &str = "log-test-admin-token-0123456789abcdefghij";

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
    let listen = free_listen();
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
    wait_healthy(&listen);

    let given = raw_get(&listen, "/readyz", "X-Request-Id: probe-42\r\n").unwrap();
    assert_eq!(header(&given, "x-request-id"), Some("probe-42"));
    let replaced = raw_get(&listen, "/healthz", "X-Request-Id: not sane!\r\n").unwrap();
    let generated = header(&replaced, "x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let unknown = raw_get(&listen, "/no/such/page", "").unwrap();
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    let unknown_id = header(&unknown, "x-request-id").unwrap().to_owned();
    let admin = raw_get(
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
