//! The accept loop: hyper's connection builder driven directly (instead of
//! `axum::serve`) for three things axum's does not give: an HTTP/1 header read
//! timeout (`limits.header_read_timeout_seconds`, so a client trickling its headers
//! cannot hold a connection open), the peer address on every request (as axum's
//! `ConnectInfo<SocketAddr>`, for the per-IP limits and `federation.trusted_proxies`)
//! and a graceful drain bounded by the shutdown grace.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::telemetry::metrics::RefusedReason;
use crate::web::{AppState, router};

/// Serves until `shutdown` resolves, then stops accepting connections and lets
/// in-flight requests finish for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    grace: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_timeout = state.settings.limits.header_read_timeout;
    let app = router(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let watcher = graceful.watcher();
                    tokio::spawn(connection(stream, peer, app.clone(), header_timeout, watcher));
                }
                Err(e) => accept_failed(e).await,
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => Ok(()),
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_seconds = grace.as_secs(), "in-flight requests did not finish in time; closing");
            Ok(())
        }
    }
}

/// Serves one connection (HTTP/1 or HTTP/2 by its preface) until it closes or the
/// drain ends it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req.map(Body::new))
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(conn).await {
        if is_header_timeout(e.as_ref()) {
            RefusedReason::SlowClient.count();
            tracing::info!(%peer, "closed a connection whose request headers were too slow");
        } else {
            tracing::trace!(%peer, error = %e, "connection ended with an error");
        }
    }
}

fn is_header_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<hyper::Error>()
        .is_some_and(hyper::Error::is_timeout)
}

/// Like hyper's old server: connection-level errors are the client's business; others
/// (e.g. out of file descriptors) pause accepting for a second instead of spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
