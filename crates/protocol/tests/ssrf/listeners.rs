//! Listeners that count every connection made to them.
//!
//! One [`Trap`] per forbidden address: it accepts, counts and answers 200, so a
//! fetcher bug shows up both as a non-zero count and as a successful fetch.
//! [`Remote`] is the allowed-looking server redirect chains start from.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A listener on a forbidden address that must never see a connection.
pub struct Trap {
    /// Where it listens.
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Trap {
    /// Listens on `ip` (a random port) and counts every accepted connection.
    pub async fn start(ip: IpAddr) -> Trap {
        let listener = bind(ip).await;
        let addr = listener.local_addr().expect("trap address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer(stream, Response::Ok));
            }
        });
        Trap { addr, accepted }
    }

    /// How many connections it accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// How [`Remote`] answers a path.
#[derive(Clone, Debug)]
pub enum Response {
    /// 200 with a small JSON body.
    Ok,
    /// 302 to this location.
    Redirect(String),
}

/// The allowed "remote" server: answers each path from its routing table and
/// records the paths it was asked for.
pub struct Remote {
    /// Its port (on `sandbox::PUBLIC`).
    pub port: u16,
    routes: Arc<Mutex<Vec<(String, Response)>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Remote {
    /// Listens on `ip` with an empty routing table (unknown paths get 200).
    pub async fn start(ip: IpAddr) -> Remote {
        let listener = bind(ip).await;
        let port = listener.local_addr().expect("remote address").port();
        let routes: Arc<Mutex<Vec<(String, Response)>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (table, log) = (routes.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (table, log) = (table.clone(), log.clone());
                tokio::spawn(async move {
                    let path = read_path(&mut stream).await;
                    log.lock().expect("log").push(path.clone());
                    let response = table
                        .lock()
                        .expect("routes")
                        .iter()
                        .find(|(p, _)| *p == path)
                        .map_or(Response::Ok, |(_, r)| r.clone());
                    write(&mut stream, &response).await;
                });
            }
        });
        Remote { port, routes, seen }
    }

    /// Answers `path` with `response` from now on.
    pub fn route(&self, path: &str, response: Response) {
        self.routes
            .lock()
            .expect("routes")
            .push((path.to_owned(), response));
    }

    /// The paths requested so far, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("seen").clone()
    }
}

/// Binds `ip` on a random port. The kernel may still be bringing `::1` up
/// when `lo` was just set up (the address is not yet usable), so an
/// unavailable address is retried for a little while.
async fn bind(ip: IpAddr) -> TcpListener {
    let mut attempts = 0;
    loop {
        match TcpListener::bind((ip, 0)).await {
            Ok(listener) => return listener,
            Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable && attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("bind a listener on {ip}: {e}"),
        }
    }
}

async fn answer(mut stream: TcpStream, response: Response) {
    let _ = read_path(&mut stream).await;
    write(&mut stream, &response).await;
}

/// Reads the request head and returns its path.
async fn read_path(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head)
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

async fn write(stream: &mut TcpStream, response: &Response) {
    let text = match response {
        Response::Ok => "HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n\
                         Content-Length: 2\r\nConnection: close\r\n\r\n{}"
            .to_owned(),
        Response::Redirect(location) => format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        ),
    };
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}
