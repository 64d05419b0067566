//! A closed-loop HTTP/1.1 load generator: `concurrency` keep-alive connections,
//! each sending its next request as soon as the previous answer is read (like
//! `wrk`). Latency is measured per request, from just before sending to the last
//! byte of the response body.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A request as the load generator sends it.
pub type Req = http::Request<Full<Bytes>>;

/// Longest a single request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How much load to generate.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Parallel connections.
    pub concurrency: usize,
    /// Stop after this many requests in total.
    pub max_requests: usize,
    /// Stop after this much time, whatever the count.
    pub max_duration: Duration,
}

/// What happened.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latency of every answered request, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that failed at the connection level or timed out.
    pub errors: u64,
    /// The first few error messages.
    pub error_samples: Vec<String>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Outcome {
    /// Answered requests.
    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers with another status than `expected`, plus errors.
    pub fn unexpected(&self, expected: u16) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s != expected)
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.errors
    }

    /// Answered requests per second.
    pub fn rps(&self) -> f64 {
        self.answered() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn send(sender: &mut SendRequest<Full<Bytes>>, req: Req) -> Result<u16> {
    sender.ready().await?;
    let res = sender.send_request(req).await?;
    let status = res.status().as_u16();
    res.into_body().collect().await?;
    Ok(status)
}

/// Sends one request on `sender`'s connection (opened to `addr` when there is none,
/// and dropped after an error or a timeout); returns the status.
pub async fn send_one(
    addr: SocketAddr,
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    req: Req,
) -> Result<u16> {
    let conn = match sender.as_mut() {
        Some(s) => s,
        None => sender.insert(connect(addr).await?),
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, send(conn, req)).await {
        Ok(Ok(status)) => Ok(status),
        Ok(Err(e)) => {
            *sender = None;
            Err(e)
        }
        Err(_) => {
            *sender = None;
            anyhow::bail!("timed out after {REQUEST_TIMEOUT:?}")
        }
    }
}

/// Sends requests `make(0)`, `make(1)`, … to `addr` until `plan` says stop.
pub async fn run<F>(addr: SocketAddr, plan: Plan, make: Arc<F>) -> Result<Outcome>
where
    F: Fn(usize) -> Req + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + plan.max_duration;
    let mut workers = Vec::with_capacity(plan.concurrency);
    for _ in 0..plan.concurrency.max(1) {
        let next = next.clone();
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut sender: Option<SendRequest<Full<Bytes>>> = None;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= plan.max_requests {
                    break;
                }
                let conn = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(addr).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            note_error(&mut out, &e);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                let req = make(i);
                let t0 = Instant::now();
                match tokio::time::timeout(REQUEST_TIMEOUT, send(conn, req)).await {
                    Ok(Ok(status)) => {
                        let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
                        out.latencies_us.push(us);
                        *out.statuses.entry(status).or_default() += 1;
                    }
                    Ok(Err(e)) => {
                        note_error(&mut out, &e);
                        sender = None;
                    }
                    Err(_) => {
                        note_error(
                            &mut out,
                            &anyhow::anyhow!("timed out after {REQUEST_TIMEOUT:?}"),
                        );
                        sender = None;
                    }
                }
            }
            out
        }));
    }
    let mut total = Outcome::default();
    for w in workers {
        let out = w.await.context("a load worker panicked")?;
        total.latencies_us.extend(out.latencies_us);
        for (s, n) in out.statuses {
            *total.statuses.entry(s).or_default() += n;
        }
        total.errors += out.errors;
        for e in out.error_samples {
            if total.error_samples.len() < 5 {
                total.error_samples.push(e);
            }
        }
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

fn note_error(out: &mut Outcome, e: &anyhow::Error) {
    out.errors += 1;
    if out.error_samples.len() < 5 {
        out.error_samples.push(format!("{e:#}"));
    }
}

/// A GET of `path_and_query` with these headers (plus `Host`).
pub fn get(host: &str, path_and_query: &str, accept: &'static str) -> Req {
    let mut req = http::Request::new(Full::new(Bytes::new()));
    *req.method_mut() = http::Method::GET;
    if let Ok(uri) = path_and_query.parse() {
        *req.uri_mut() = uri;
    }
    let h = req.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(host) {
        h.insert(http::header::HOST, v);
    }
    h.insert(http::header::ACCEPT, http::HeaderValue::from_static(accept));
    req
}
