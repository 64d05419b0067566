//! End-to-end tests of the fetcher against real HTTP servers on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::header::{CONTENT_TYPE, HeaderName};
use tokio::net::TcpListener;

use super::*;
use server::{Reply, TestServer, ok, redirect};

fn local_config() -> FetchConfig {
    FetchConfig {
        allow_private_addresses: true,
        ..FetchConfig::default()
    }
}

fn fetcher(config: FetchConfig) -> Fetcher {
    Fetcher::new(config).unwrap()
}

const ACCEPT_AP: &str = "application/activity+json";

#[tokio::test]
async fn loopback_is_refused_by_default_both_as_literal_and_as_name() {
    let server = TestServer::start(|_, _| ok("{}")).await;
    let strict = fetcher(FetchConfig::default());

    let error = strict
        .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FetchError::ForbiddenAddress { host, addr } if host == "127.0.0.1" && addr.is_loopback()),
        "{error:?}"
    );

    let error = strict
        .get(&server.url("localhost", "/"), ACCEPT_AP, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FetchError::ForbiddenAddress { host, .. } if host == "localhost"),
        "{error:?}"
    );

    let error = strict
        .post(
            &server.url("[::1]", "/inbox"),
            HeaderMap::new(),
            b"{}".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, FetchError::ForbiddenAddress { .. }),
        "{error:?}"
    );

    assert!(server.seen().is_empty(), "no request may reach the server");
}

#[tokio::test]
async fn loopback_is_reachable_when_private_addresses_are_allowed() {
    let server = TestServer::start(|_, _| ok(r#"{"id":"x"}"#)).await;
    let local = fetcher(local_config());
    for host in ["127.0.0.1", "localhost"] {
        let fetched = local
            .get(&server.url(host, "/users/alice"), ACCEPT_AP, None)
            .await
            .unwrap();
        assert_eq!(fetched.status, StatusCode::OK);
        assert_eq!(fetched.body, br#"{"id":"x"}"#);
        assert_eq!(
            fetched.headers.get(CONTENT_TYPE).unwrap(),
            "application/activity+json"
        );
    }
    let seen = server.seen();
    assert_eq!(seen[0].header("accept"), Some(ACCEPT_AP));
    assert_eq!(
        seen[0].header("user-agent"),
        Some(FetchConfig::default().user_agent.as_str())
    );
}

#[tokio::test]
async fn redirect_chain_is_followed_and_final_url_reported() {
    let server = TestServer::start(|request, port| match request.path.as_str() {
        "/a" => redirect(301, "/b"),
        "/b" => redirect(302, "c?page=2"),
        "/c?page=2" => redirect(307, &format!("http://localhost:{port}/final")),
        "/final" => ok("done"),
        _ => Reply::Raw("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".into()),
    })
    .await;
    let fetched = fetcher(local_config())
        .get(&server.url("127.0.0.1", "/a"), ACCEPT_AP, None)
        .await
        .unwrap();
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, b"done");
    assert_eq!(fetched.url, server.url("localhost", "/final"));
    let seen = server.seen();
    let paths: Vec<&str> = seen.iter().map(|seen| seen.path.as_str()).collect();
    assert_eq!(paths, ["/a", "/b", "/c?page=2", "/final"]);
    assert!(seen.iter().all(|request| request.method == "GET"));
}

#[tokio::test]
async fn non_success_status_is_returned_not_an_error() {
    let server = TestServer::start(|_, _| {
        Reply::Raw("HTTP/1.1 410 Gone\r\nContent-Length: 4\r\nConnection: close\r\n\r\ngone".into())
    })
    .await;
    let fetched = fetcher(local_config())
        .get(&server.url("127.0.0.1", "/users/deleted"), ACCEPT_AP, None)
        .await
        .unwrap();
    assert_eq!(fetched.status, StatusCode::GONE);
    assert_eq!(fetched.body, b"gone");
}

#[tokio::test]
async fn redirect_to_another_scheme_is_refused() {
    let server = TestServer::start(|_, _| redirect(302, "ftp://127.0.0.1/actor")).await;
    let error = fetcher(local_config())
        .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, FetchError::UnsupportedScheme { scheme } if scheme == "ftp"),
        "{error:?}"
    );
}

#[tokio::test]
async fn redirect_loop_stops_at_the_limit() {
    let server = TestServer::start(|_, _| redirect(308, "/loop")).await;
    let error = fetcher(FetchConfig {
        max_redirects: 3,
        ..local_config()
    })
    .get(&server.url("127.0.0.1", "/loop"), ACCEPT_AP, None)
    .await
    .unwrap_err();
    assert!(
        matches!(error, FetchError::TooManyRedirects { limit: 3 }),
        "{error:?}"
    );
    // The first request plus three followed redirects.
    assert_eq!(server.seen().len(), 4);
}

#[tokio::test]
async fn post_does_not_follow_redirects() {
    let server = TestServer::start(|_, _| redirect(303, "/elsewhere")).await;
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    let fetched = fetcher(local_config())
        .post(
            &server.url("127.0.0.1", "/inbox"),
            headers,
            b"{\"type\":\"Follow\"}".to_vec(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(fetched.status, StatusCode::SEE_OTHER);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].body, b"{\"type\":\"Follow\"}");
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/activity+json")
    );
}

#[tokio::test]
async fn body_over_the_limit_is_refused_from_content_length() {
    // Announces 10 MB but sends little: the fetcher must not wait for it.
    let server = TestServer::start(|_, _| {
        Reply::Raw("HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\nshort".into())
    })
    .await;
    let error = fetcher(FetchConfig {
        max_body_bytes: 1024,
        ..local_config()
    })
    .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
    .await
    .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 1024 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn endless_chunked_body_is_cut_off_at_the_limit() {
    let server = TestServer::start(|_, _| Reply::Endless).await;
    let started = Instant::now();
    let error = fetcher(FetchConfig {
        max_body_bytes: 64 * 1024,
        ..local_config()
    })
    .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
    .await
    .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 65536 }),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn body_exactly_at_the_limit_is_accepted() {
    let server = TestServer::start(|_, _| ok(&"y".repeat(100))).await;
    let fetched = fetcher(FetchConfig {
        max_body_bytes: 100,
        ..local_config()
    })
    .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
    .await
    .unwrap();
    assert_eq!(fetched.body.len(), 100);
}

#[tokio::test]
async fn silent_server_times_out() {
    let server = TestServer::start(|_, _| Reply::Hang).await;
    let started = Instant::now();
    let error = fetcher(FetchConfig {
        timeout: Duration::from_millis(300),
        ..local_config()
    })
    .get(&server.url("127.0.0.1", "/"), ACCEPT_AP, None)
    .await
    .unwrap_err();
    assert!(matches!(error, FetchError::Timeout), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn closed_port_is_a_connect_error() {
    // Bind then drop to get a port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let error = fetcher(local_config())
        .get(&url, ACCEPT_AP, None)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Connect(_)), "{error:?}");
}

/// One `sign` call: method, URL, headers as handed over, body.
type SignCall = (Method, Url, HeaderMap, Option<Vec<u8>>);

/// Records what it was asked to sign and stamps each request with its URL.
#[derive(Default)]
struct RecordingSigner {
    calls: Mutex<Vec<SignCall>>,
}

const STAMP: HeaderName = HeaderName::from_static("x-test-signature");

impl RequestSigner for RecordingSigner {
    fn sign(
        &self,
        method: &Method,
        url: &Url,
        headers: &mut HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<(), crate::Error> {
        self.calls.lock().unwrap().push((
            method.clone(),
            url.clone(),
            headers.clone(),
            body.map(<[u8]>::to_vec),
        ));
        headers.insert(STAMP, HeaderValue::from_str(url.as_str()).unwrap());
        Ok(())
    }
}

#[tokio::test]
async fn signer_runs_on_every_hop_with_that_hops_url() {
    let server = TestServer::start(|request, _| match request.path.as_str() {
        "/old" => redirect(301, "/new"),
        _ => ok("{}"),
    })
    .await;
    let signer = RecordingSigner::default();
    let fetched = fetcher(local_config())
        .get(&server.url("127.0.0.1", "/old"), ACCEPT_AP, Some(&signer))
        .await
        .unwrap();
    assert_eq!(fetched.status, StatusCode::OK);

    let calls = signer.calls.lock().unwrap();
    let urls: Vec<&Url> = calls.iter().map(|(_, url, _, _)| url).collect();
    assert_eq!(
        urls,
        [
            &server.url("127.0.0.1", "/old"),
            &server.url("127.0.0.1", "/new")
        ]
    );
    for (method, _, headers, body) in calls.iter() {
        assert_eq!(method, Method::GET);
        assert_eq!(headers.get(ACCEPT).unwrap(), ACCEPT_AP);
        assert!(headers.contains_key(USER_AGENT));
        assert!(body.is_none());
    }
    // What was signed is what was sent, hop by hop.
    for request in server.seen() {
        let expected = server.url("127.0.0.1", &request.path);
        assert_eq!(request.header("x-test-signature"), Some(expected.as_str()));
    }
}

#[tokio::test]
async fn post_signer_sees_callers_headers_and_body() {
    let server = TestServer::start(|_, _| {
        Reply::Raw("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into())
    })
    .await;
    let signer = RecordingSigner::default();
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/activity+json"),
    );
    let url = server.url("127.0.0.1", "/users/bob/inbox");
    let fetched = fetcher(local_config())
        .post(&url, headers, b"{}".to_vec(), Some(&signer))
        .await
        .unwrap();
    assert_eq!(fetched.status, StatusCode::ACCEPTED);

    let calls = signer.calls.lock().unwrap();
    assert_eq!(calls.len(), 1);
    let (method, signed_url, signed_headers, body) = &calls[0];
    assert_eq!(method, Method::POST);
    assert_eq!(signed_url, &url);
    assert_eq!(
        signed_headers.get(CONTENT_TYPE).unwrap(),
        "application/activity+json"
    );
    assert!(signed_headers.contains_key(USER_AGENT));
    assert_eq!(body.as_deref(), Some(&b"{}"[..]));
    assert_eq!(
        server.seen()[0].header("x-test-signature"),
        Some(url.as_str())
    );
}

struct FailingSigner;

impl RequestSigner for FailingSigner {
    fn sign(
        &self,
        _: &Method,
        _: &Url,
        _: &mut HeaderMap,
        _: Option<&[u8]>,
    ) -> Result<(), crate::Error> {
        Err(FetchError::Http("no key loaded".into()).into())
    }
}

#[tokio::test]
async fn signing_failure_sends_nothing() {
    let server = TestServer::start(|_, _| ok("{}")).await;
    let error = fetcher(local_config())
        .get(
            &server.url("127.0.0.1", "/"),
            ACCEPT_AP,
            Some(&FailingSigner),
        )
        .await
        .unwrap_err();
    assert!(matches!(&error, FetchError::Signing(message) if message.contains("no key loaded")));
    assert!(server.seen().is_empty());
}

#[test]
fn invalid_user_agent_is_rejected_at_construction() {
    let error = Fetcher::new(FetchConfig {
        user_agent: "bad\nagent".into(),
        ..FetchConfig::default()
    })
    .unwrap_err();
    assert!(matches!(error, FetchError::Http(_)));
}
