//! `pkgfed healthcheck`, the container HEALTHCHECK: against the real server, and —
//! with a one-shot loopback listener that answers whatever status a test needs —
//! which URL it probes and how it reads an unhealthy answer.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

use super::tools::{both, free_port, pkgfed, run};

/// Answers one request with `status`, returning the request line it got.
fn answer_once(listener: TcpListener, status: &'static str) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut line = String::new();
        BufReader::new(stream.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        line.trim_end().to_owned()
    })
}

fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(pkgfed());
    cmd.arg("healthcheck").args(args).env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

#[test]
fn probes_healthz_on_loopback_when_listening_on_all_addresses() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = answer_once(listener, "200 OK");
    let listen = format!("0.0.0.0:{port}");
    let out = healthcheck(&[], &[("PKGFED_SERVER_LISTEN", &listen)]);
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(server.join().unwrap(), "GET /healthz HTTP/1.1");
}

#[test]
fn an_unhealthy_answer_fails_naming_the_status() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/healthz", listener.local_addr().unwrap());
    let server = answer_once(listener, "503 Service Unavailable");
    let out = healthcheck(&["--url", &url], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("503") && err.contains(&url), "{err}");
    server.join().unwrap();
}

#[test]
fn nothing_listening_fails_naming_the_url_and_server_listen() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let out = healthcheck(
        &["--timeout-seconds", "2"],
        &[("PKGFED_SERVER_LISTEN", &listen)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("http://{listen}/healthz")), "{err}");
    assert!(err.contains("server.listen"), "{err}");
}

#[test]
fn a_running_pkgfed_serve_is_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(pkgfed())
        .args(["serve", "--dev"])
        .current_dir(dir.path())
        .env_clear()
        .env("PKGFED_SERVER_LISTEN", &listen)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until the server has bound its port the probe fails; bounded wait, no timing.
    let mut last = None;
    for _ in 0..300 {
        let out = healthcheck(
            &["--timeout-seconds", "2"],
            &[("PKGFED_SERVER_LISTEN", &listen)],
        );
        if out.status.success() {
            last = Some(out);
            break;
        }
        last = Some(out);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let out = last.unwrap();
    assert!(out.status.success(), "{}", both(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("http://{listen}/healthz: 200 OK")),
        "{text}"
    );
}
