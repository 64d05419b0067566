//! `pkgfed` as a child process, for the tests of the command line: a command with a
//! clean environment, `serve --dev` waited for until it answers, and a guard that
//! kills the process when a test fails before stopping it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A free loopback address (`127.0.0.1:port`) to serve on.
pub fn free_listen() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// `pkgfed args…` in `dir` with nothing of the test's environment but `PATH`, serving
/// (or talking to a server) on `listen`.
pub fn pkgfed_command(dir: &Path, listen: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pkgfed"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PKGFED_SERVER_LISTEN", listen);
    cmd
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A child process, killed if the test ends before it stopped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Running {
    /// Sends the signal `sig` (as `kill` names it, e.g. `-INT`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success(), "kill {sig} failed");
    }

    /// Waits up to 15 s for the process to exit; `what` names it in the failure.
    pub fn wait_exit(&mut self, what: &str) -> ExitStatus {
        let since = Instant::now();
        loop {
            if let Some(exit) = self.0.try_wait().unwrap() {
                return exit;
            }
            assert!(
                since.elapsed() < Duration::from_secs(15),
                "{what} did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One plain HTTP/1.1 GET of `path` on `listen` (`extra` is added to the request's
/// headers, each ending in CRLF); the whole response, or `None` if nothing answers.
pub fn raw_get(listen: &str, path: &str, extra: &str) -> Option<String> {
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

/// Waits up to 30 s until `/healthz` on `listen` answers 200.
pub fn wait_healthy(listen: &str) {
    let started = Instant::now();
    while !raw_get(listen, "/healthz", "").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server on {listen} did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `pkgfed serve --dev` in `dir` on `listen`, once it answers.
pub fn serve_dev(dir: &Path, listen: &str) -> Running {
    let child = Running(
        pkgfed_command(dir, listen, &["serve", "--dev"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(listen);
    child
}
