//! Minimal loopback inbox servers for the delivery benchmarks: HTTP/1.1 on
//! 127.0.0.1:0, keep-alive, each POST handed to a callback that decides the answer
//! (202, 503, or no answer at all, holding the connection like a hung server).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One POST as the callback sees it.
pub struct Post<'a> {
    /// The server's index.
    pub server: u32,
    /// The request path.
    pub path: &'a str,
    /// Whether a `Signature` header names rsa-sha256.
    pub signed: bool,
}

/// How a server answers a POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 202 Accepted, keep-alive.
    Accepted,
    /// 503 Service Unavailable, keep-alive.
    Unavailable,
    /// Never answer: the connection stays open until the client gives up.
    Hang,
}

/// What the servers saw that was not a well-formed POST.
pub trait Observer: Send + Sync + 'static {
    /// A POST arrived; the answer is sent back.
    fn post(&self, post: Post<'_>) -> Answer;
    /// A connection was accepted.
    fn connection(&self) {}
    /// A request that was not a POST or could not be parsed (answered 400, closed).
    fn malformed(&self) {}
}

const ACCEPTED: &[u8] =
    b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
const UNAVAILABLE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
const BAD: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// Largest request accepted (headers or body).
const MAX_BYTES: usize = 1 << 20;
/// How long a hung answer holds the connection at most.
const HANG_FOR: Duration = Duration::from_secs(300);

/// Serves one keep-alive connection until the peer closes it.
async fn serve_conn<O: Observer>(stream: TcpStream, server: u32, observer: Arc<O>) {
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        line.clear();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut length = 0usize;
        let mut signed = false;
        let mut header_bytes = 0usize;
        loop {
            line.clear();
            match stream.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(n) => header_bytes += n,
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if header_bytes > MAX_BYTES {
                observer.malformed();
                let _ = stream.get_mut().write_all(BAD).await;
                return;
            }
            if let Some((name, value)) = l.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(usize::MAX);
                } else if name.eq_ignore_ascii_case("signature") {
                    signed = value.contains("rsa-sha256");
                }
            }
        }
        if length > MAX_BYTES || method != "POST" {
            observer.malformed();
            let _ = stream.get_mut().write_all(BAD).await;
            return;
        }
        body.resize(length, 0);
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let reply = match observer.post(Post {
            server,
            path: &path,
            signed,
        }) {
            Answer::Accepted => ACCEPTED,
            Answer::Unavailable => UNAVAILABLE,
            Answer::Hang => {
                // Until the client closes (a read returns 0) or HANG_FOR passes.
                let mut sink = [0u8; 1024];
                let _ = tokio::time::timeout(HANG_FOR, stream.read(&mut sink)).await;
                return;
            }
        };
        if stream.get_mut().write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Starts `n` inbox servers reporting to `observer`; returns their ports.
pub async fn start<O: Observer>(n: usize, observer: &Arc<O>) -> Result<Vec<u16>> {
    let mut ports = Vec::with_capacity(n);
    for i in 0..n {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind an inbox server (raise `ulimit -n`?)")?;
        ports.push(listener.local_addr()?.port());
        let observer = observer.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        observer.connection();
                        tokio::spawn(serve_conn(stream, i as u32, observer.clone()));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
    }
    Ok(ports)
}

/// The soft limit on open files, from /proc/self/limits.
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}
