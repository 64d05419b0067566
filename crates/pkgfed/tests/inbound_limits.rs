//! Inbound limits over HTTP: rate limits per remote host and per client IP (429 with
//! `Retry-After`, before any key fetch), `federation.trusted_proxies`, lookups that
//! would create a package, JSON depth and element count (400), and slow clients on a
//! raw socket (headers: connection closed; body: 408). None of them changes stored
//! state or makes the server fetch anything.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use common::peer::KeyStyle;
use common::{Peer, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A peer with the users these tests sign as.
async fn peer() -> Peer {
    let peer = Peer::start().await;
    for user in ["bob", "carol"] {
        peer.add_user(user, KeyStyle::Fragment);
    }
    peer
}

/// Sends a signed Follow of `package` from `user` with `extra` headers.
async fn signed_follow(
    peer: &Peer,
    server: &TestServer,
    handle: &str,
    user: &str,
    extra: &[(&'static str, &str)],
) -> (u16, HeaderMap, String) {
    let inbox = server.url("/inbox");
    let follow = peer.follow(user, &server.url(&format!("/packages/{handle}")));
    let body = serde_json::to_vec(&follow).unwrap();
    let mut headers = peer.signed_headers(user, &inbox, &body);
    for (k, v) in extra {
        headers.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    let res = server
        .client
        .post(&inbox)
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let h = res.headers().clone();
    (status, h, res.text().await.unwrap())
}

fn retry_after(h: &HeaderMap) -> u64 {
    h.get("retry-after")
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds")
}

#[tokio::test]
async fn a_host_over_its_limit_gets_429_before_its_key_is_fetched() {
    let server = TestServer::start_with(|c| {
        c.limits.exempt = Vec::new();
        c.limits.inbox_per_host_per_minute = 1;
        c.limits.inbox_per_host_burst = 1;
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = peer().await;

    // The first Follow takes the host's only token and is processed.
    let (status, _, text) = signed_follow(&peer, &server, &package.handle, "alice", &[]).await;
    assert_eq!(status, 202, "{text}");
    let fetches = peer.fetches().len();
    let before = server.counts().await;

    // The next one from the same host, another user: refused, nothing fetched or stored.
    let (status, headers, text) = signed_follow(&peer, &server, &package.handle, "bob", &[]).await;
    assert_eq!(status, 429, "{text}");
    let wait = retry_after(&headers);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let reason: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reason = reason["error"].as_str().unwrap();
    assert!(reason.contains("host 127.0.0.1"), "{reason}");
    assert!(reason.contains("retry after"), "{reason}");
    assert_eq!(
        peer.fetches().len(),
        fetches,
        "no key fetch for a refused POST"
    );
    assert_eq!(server.counts().await, before);

    // The per-package inbox shares the host's bucket.
    let inbox = server.url(&format!("/packages/{}/inbox", package.handle));
    let body = serde_json::to_vec(&peer.follow("carol", &server.url("/x"))).unwrap();
    let h = peer.signed_headers("carol", &inbox, &body);
    assert_eq!(peer.post_raw(&inbox, h, body).await.0, 429);
    assert_eq!(server.counts().await, before);
}

#[tokio::test]
async fn client_ips_are_limited_and_forwarded_addresses_only_believed_from_trusted_proxies() {
    // Behind a trusted proxy (the test client on loopback): the forwarded client counts.
    let server = TestServer::start_with(|c| {
        c.federation.trusted_proxies = vec!["127.0.0.1".into()];
        c.limits.exempt = Vec::new();
        c.limits.inbox_per_ip_per_minute = 1;
        c.limits.inbox_per_ip_burst = 1;
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = peer().await;
    let xff = |ip: &'static str| [("x-forwarded-for", ip)];
    let (status, _, text) = signed_follow(
        &peer,
        &server,
        &package.handle,
        "alice",
        &xff("203.0.113.5"),
    )
    .await;
    assert_eq!(status, 202, "{text}");
    let before = server.counts().await;
    let (status, headers, text) =
        signed_follow(&peer, &server, &package.handle, "bob", &xff("203.0.113.5")).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("address 203.0.113.5"), "{text}");
    retry_after(&headers);
    assert_eq!(server.counts().await, before);
    // Another client behind the same proxy has its own bucket.
    let (status, _, text) =
        signed_follow(&peer, &server, &package.handle, "bob", &xff("203.0.113.6")).await;
    assert_eq!(status, 202, "{text}");

    // Not a trusted proxy: the header is ignored, the peer address is the client,
    // so changing it does not buy new tokens.
    let server = TestServer::start_with(|c| {
        c.limits.exempt = Vec::new();
        c.limits.inbox_per_ip_per_minute = 1;
        c.limits.inbox_per_ip_burst = 1;
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let (status, _, _) = signed_follow(
        &peer,
        &server,
        &package.handle,
        "alice",
        &xff("198.51.100.1"),
    )
    .await;
    assert_eq!(status, 202);
    let before = server.counts().await;
    let (status, _, text) =
        signed_follow(&peer, &server, &package.handle, "bob", &xff("198.51.100.2")).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("address 127.0.0.1"), "{text}");
    assert_eq!(server.counts().await, before);
}

#[tokio::test]
async fn loopback_is_exempt_by_default() {
    let server = TestServer::start_with(|c| {
        c.limits.inbox_per_host_per_minute = 1;
        c.limits.inbox_per_host_burst = 1;
        c.limits.inbox_per_ip_per_minute = 1;
        c.limits.inbox_per_ip_burst = 1;
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = peer().await;
    for user in ["alice", "bob", "carol"] {
        let (status, _, text) = signed_follow(&peer, &server, &package.handle, user, &[]).await;
        assert_eq!(status, 202, "{text}");
    }
}

#[tokio::test]
async fn lookups_that_would_create_a_package_are_limited_known_ones_are_not() {
    let server = TestServer::start_with(|c| {
        c.federation.trusted_proxies = vec!["127.0.0.1".into()];
        c.limits.exempt = Vec::new();
        c.limits.lookup_per_ip_per_minute = 1;
        c.limits.lookup_per_ip_burst = 1;
        // Nothing may be created: an unknown lookup answers 404 without a registry.
        c.watch.deny = vec!["pkg:cargo/*".into()];
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let get = |path: String| {
        let client = server.client.clone();
        let url = server.url(&path);
        async move {
            let res = client
                .get(url)
                .header("accept", "application/activity+json")
                .header("x-forwarded-for", "203.0.113.7")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let h = res.headers().clone();
            (status, h, res.text().await.unwrap())
        }
    };
    let webfinger = |name: &str| {
        format!(
            "/.well-known/webfinger?resource=acct:{name}@{}",
            server.host
        )
    };
    let before = server.counts().await;
    assert_eq!(get(webfinger("cargo.nope_one")).await.0, 404);
    let (status, headers, text) = get(webfinger("cargo.nope_two")).await;
    assert_eq!(status, 429, "{text}");
    assert!(
        text.contains("lookups of packages not known here"),
        "{text}"
    );
    assert!(text.contains("address 203.0.113.7"), "{text}");
    retry_after(&headers);
    // Actor GETs of unknown packages share the bucket.
    assert_eq!(get("/packages/cargo.nope_three".into()).await.0, 429);
    // A browser gets the same answer as a page, with Retry-After too.
    let res = server
        .client
        .get(server.url("/packages/cargo.nope_four"))
        .header("accept", "text/html")
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    retry_after(res.headers());
    assert!(res.text().await.unwrap().contains("try again later"));
    // A known package is served however often it is asked for.
    for _ in 0..5 {
        let (status, _, text) = get(webfinger(&package.handle)).await;
        assert_eq!(status, 200, "{text}");
        let (status, _, text) = get(format!("/packages/{}", package.handle)).await;
        assert_eq!(status, 200, "{text}");
    }
    assert_eq!(server.counts().await, before);
}

#[tokio::test]
async fn json_too_deep_or_too_large_is_refused_before_verification() {
    let server = TestServer::start_with(|c| {
        c.limits.json_max_depth = 8;
        c.limits.json_max_elements = 200;
    })
    .await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = peer().await;
    let inbox = server.url("/inbox");
    let object = server.url(&format!("/packages/{}", package.handle));
    let before = server.counts().await;

    let mut deep = serde_json::json!("leaf");
    for _ in 0..10 {
        deep = serde_json::json!({ "x": deep });
    }
    let mut follow = peer.follow("alice", &object);
    follow["nested"] = deep;
    let (status, text) = peer.post("alice", &inbox, &follow).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("limits.json_max_depth"), "{text}");

    let mut follow = peer.follow("alice", &object);
    follow["tag"] = serde_json::Value::Array((0..300).map(|i| i.into()).collect());
    let (status, text) = peer.post("alice", &inbox, &follow).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("limits.json_max_elements"), "{text}");

    assert!(
        peer.fetches().is_empty(),
        "nothing fetched for refused bodies"
    );
    assert_eq!(server.counts().await, before);

    // A normal activity still passes these (small) limits.
    let (status, text) = peer
        .post("alice", &inbox, &peer.follow("alice", &object))
        .await;
    assert_eq!(status, 202, "{text}");
}

/// Reads from `stream` until it closes; what arrived.
async fn read_to_close(mut stream: tokio::net::tcp::OwnedReadHalf) -> String {
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn headers_sent_too_slowly_get_the_connection_closed() {
    let server = TestServer::start_with(|c| c.limits.header_read_timeout_seconds = 1).await;
    let stream = TcpStream::connect(&server.host).await.unwrap();
    let (read, mut write) = stream.into_split();
    let closed = tokio::spawn(read_to_close(read));
    let head = format!(
        "POST /inbox HTTP/1.1\r\nHost: {}\r\nContent-Type: application/activity+json\r\nX-Padding: {}\r\n\r\n",
        server.host,
        "p".repeat(200)
    );
    let mut sent = 0;
    for byte in head.as_bytes() {
        if closed.is_finished() || write.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sent < head.len(),
        "the server waited for all {sent} header bytes"
    );
    let answer = closed.await.unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_body_trickled_too_slowly_gets_408_and_stores_nothing() {
    let server = TestServer::start_with(|c| c.limits.body_read_timeout_seconds = 1).await;
    let package = server.add_package("pkg:cargo/serde").await;
    let peer = peer().await;
    let inbox = server.url("/inbox");
    let follow = peer.follow(
        "alice",
        &server.url(&format!("/packages/{}", package.handle)),
    );
    let body = serde_json::to_vec(&follow).unwrap();
    let headers = peer.signed_headers("alice", &inbox, &body);
    let before = server.counts().await;

    let stream = TcpStream::connect(&server.host).await.unwrap();
    let (read, mut write) = stream.into_split();
    let answered = tokio::spawn(read_to_close(read));
    let mut head = format!(
        "POST /inbox HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        server.host,
        body.len()
    );
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    write.write_all(head.as_bytes()).await.unwrap();
    let mut sent = 0;
    for byte in &body {
        if answered.is_finished() || write.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sent < body.len(), "the server waited for the whole body");
    let answer = answered.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("limits.body_read_timeout_seconds"),
        "{answer}"
    );
    assert!(peer.fetches().is_empty());
    assert_eq!(server.counts().await, before);
}
