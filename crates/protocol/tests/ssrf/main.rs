//! The SSRF matrix: with private addresses not allowed (the default), no URL a
//! remote server can hand pkgfed — a signature's keyId or an activity's actor
//! (fetched with GET), an inbox (delivered to with POST), or a redirect target —
//! makes the fetcher connect to loopback, private, link-local or unique-local
//! addresses, whatever the spelling: IP literals (also decimal, octal and hex
//! IPv4), IPv4-mapped IPv6, host names resolving there, and redirect chains
//! starting at an allowed host.
//!
//! Each test runs inside its own network namespace (see `sandbox`), with a
//! counting listener on every forbidden address: "refused" is checked both as
//! the error the caller gets (`ForbiddenAddress`, before any connect) and as
//! zero connections seen by the listeners. A control fetch from the allowed
//! "remote" server proves the namespace's network works, so a refusal is the
//! policy's and not a dead network's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod listeners;
mod sandbox;

use std::net::IpAddr;

use http::{HeaderMap, StatusCode};
use listeners::{Remote, Response, Trap};
use pkgfed_protocol::fetch::{FetchConfig, FetchError, Fetcher};
use sandbox::{PUBLIC, ip};
use url::Url;

const ACCEPT: &str = "application/activity+json";

/// The traps on every forbidden address, the remote server, and a fetcher with
/// the production address policy.
struct Matrix {
    traps: Vec<(IpAddr, Trap)>,
    remote: Remote,
    fetcher: Fetcher,
}

impl Matrix {
    async fn start() -> Matrix {
        let mut traps = Vec::new();
        for text in ["127.0.0.1", "::1"]
            .iter()
            .chain(sandbox::LOCAL_ADDRESSES)
            // A link-local address cannot be bound without a scope id, which a
            // URL cannot carry; the fe80 cases are judged by their error alone.
            .filter(|text| **text != PUBLIC && !text.starts_with("fe80"))
        {
            traps.push((ip(text), Trap::start(ip(text)).await));
        }
        let config = FetchConfig::default();
        assert!(!config.allow_private_addresses, "the default must refuse");
        Matrix {
            traps,
            remote: Remote::start(ip(PUBLIC)).await,
            fetcher: Fetcher::new(config).unwrap(),
        }
    }

    /// The port of the trap on `addr`.
    fn port(&self, addr: &str) -> u16 {
        let wanted = ip(addr);
        self.traps
            .iter()
            .find(|(a, _)| *a == wanted)
            .map(|(_, trap)| trap.addr.port())
            .unwrap_or_else(|| panic!("no trap on {addr}"))
    }

    /// `http://<host>:<port of the trap on addr>/<path>`.
    fn url(&self, host: &str, addr: &str, path: &str) -> String {
        format!("http://{host}:{}/{path}", self.port(addr))
    }

    /// The remote server's URL for `path`, by name.
    fn remote(&self, path: &str) -> String {
        format!("http://remote.test:{}/{path}", self.remote.port)
    }

    /// GET (as for a keyId or actor) must be refused with `ForbiddenAddress`.
    async fn get_refused(&self, url: &str) {
        let result = self
            .fetcher
            .get(&Url::parse(url).unwrap(), ACCEPT, None)
            .await;
        assert_forbidden(url, "GET", result);
    }

    /// POST (as for an inbox delivery) must be refused with `ForbiddenAddress`.
    async fn post_refused(&self, url: &str) {
        let result = self
            .fetcher
            .post(
                &Url::parse(url).unwrap(),
                HeaderMap::new(),
                b"{}".to_vec(),
                None,
            )
            .await;
        assert_forbidden(url, "POST", result);
    }

    /// No trap accepted a single connection.
    fn assert_no_connections(&self) {
        for (addr, trap) in &self.traps {
            assert_eq!(trap.accepted(), 0, "a connection reached {addr}");
        }
    }
}

fn assert_forbidden(
    url: &str,
    method: &str,
    result: Result<pkgfed_protocol::fetch::Fetched, FetchError>,
) {
    match result {
        Err(FetchError::ForbiddenAddress { addr, .. }) => {
            assert!(
                pkgfed_protocol::fetch::is_forbidden_address(addr),
                "{method} {url}: refused for {addr}, which is not forbidden"
            );
        }
        other => {
            panic!("{method} {url}: expected ForbiddenAddress before connecting, got {other:?}")
        }
    }
}

/// Runs `body` on a runtime inside test `name`'s network namespace (the outer
/// run only starts the inner one and checks it passed).
fn in_sandbox<F: Future<Output = ()>>(name: &str, body: impl FnOnce() -> F) {
    if sandbox::enter(name) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(body());
    }
}

#[test]
fn private_ip_literals_in_every_spelling_are_refused_without_connecting() {
    in_sandbox(
        "private_ip_literals_in_every_spelling_are_refused_without_connecting",
        || async {
            let m = Matrix::start().await;
            let lo = "127.0.0.1";
            let ten = "10.1.2.3";
            let cases = [
                m.url("127.0.0.1", lo, "users/a#main-key"),
                m.url("127.5.6.7", "127.5.6.7", ""),
                m.url("[::1]", "::1", "actor"),
                m.url("[::]", "::1", ""),
                m.url("[::ffff:127.0.0.1]", lo, "inbox"),
                m.url("0.0.0.0", lo, ""),
                m.url("169.254.169.254", "169.254.169.254", "latest/meta-data/"),
                m.url(ten, ten, ""),
                m.url("172.16.0.1", "172.16.0.1", ""),
                m.url("172.31.255.254", "172.31.255.254", ""),
                m.url("192.168.1.1", "192.168.1.1", ""),
                m.url("[fc00::1]", "fc00::1", ""),
                m.url("[fd00:ec2::254]", "fd00:ec2::254", "latest/meta-data/"),
                m.url("[::ffff:10.1.2.3]", ten, ""),
                "http://[fe80::1]:8080/".to_owned(),
                // Decimal, octal and hex IPv4 spellings (WHATWG URL parsing).
                m.url("2130706433", lo, ""),
                m.url("0177.0.0.1", lo, ""),
                m.url("0x7f.1", lo, ""),
                m.url("0177.1", lo, ""),
                m.url("167838211", ten, ""),
                m.url("012.1.2.3", ten, ""),
                m.url("0xa9fea9fe", "169.254.169.254", "latest/meta-data/"),
                m.url("0251.0376.0251.0376", "169.254.169.254", ""),
            ];
            for url in &cases {
                m.get_refused(url).await;
                m.post_refused(url).await;
            }
            m.assert_no_connections();
        },
    );
}

#[test]
fn host_names_resolving_to_private_addresses_are_refused_without_connecting() {
    in_sandbox(
        "host_names_resolving_to_private_addresses_are_refused_without_connecting",
        || async {
            let m = Matrix::start().await;
            let cases = [
                m.url("localhost", "127.0.0.1", "users/a"),
                m.url("LOCALHOST", "127.0.0.1", ""),
                m.url("loopback.test", "127.0.0.1", ""),
                m.url("loopback.test.", "127.0.0.1", ""),
                m.url("loopback-alias.test", "127.5.6.7", ""),
                m.url("mapped.test", "127.0.0.1", ""),
                m.url("metadata.test", "169.254.169.254", "latest/meta-data/"),
                m.url("internal.test", "10.1.2.3", "inbox"),
                m.url("router.test", "192.168.1.1", ""),
                m.url("ula.test", "fc00::1", ""),
                // One allowed and one private answer: refused outright.
                m.url("mixed.test", "10.1.2.3", ""),
            ];
            for url in &cases {
                m.get_refused(url).await;
                m.post_refused(url).await;
            }
            m.assert_no_connections();

            // The control: the allowed remote answers, by name and by address.
            for url in [
                m.remote("ok"),
                format!("http://{PUBLIC}:{}/ok", m.remote.port),
            ] {
                let fetched = m
                    .fetcher
                    .get(&Url::parse(&url).unwrap(), ACCEPT, None)
                    .await;
                assert_eq!(fetched.unwrap().status, StatusCode::OK, "control {url}");
            }
            assert_eq!(m.remote.seen(), ["/ok", "/ok"]);
        },
    );
}

#[test]
fn redirect_chains_ending_at_private_addresses_stop_before_the_private_hop() {
    in_sandbox(
        "redirect_chains_ending_at_private_addresses_stop_before_the_private_hop",
        || async {
            let m = Matrix::start().await;
            let hop = format!("http://hop.test:{}/hop", m.remote.port);
            m.remote.route("/start", Response::Redirect(hop));
            m.remote.route(
                "/hop",
                Response::Redirect(m.url("internal.test", "10.1.2.3", "key")),
            );
            let targets = [
                m.url("169.254.169.254", "169.254.169.254", "latest/meta-data/"),
                m.url("localhost", "127.0.0.1", ""),
                m.url("2130706433", "127.0.0.1", ""),
                m.url("[fd00:ec2::254]", "fd00:ec2::254", ""),
                m.url("[::ffff:192.168.1.1]", "192.168.1.1", ""),
            ];
            for (i, target) in targets.iter().enumerate() {
                m.remote
                    .route(&format!("/to{i}"), Response::Redirect(target.clone()));
            }

            // remote.test → hop.test (both allowed) → internal.test (10.1.2.3).
            m.get_refused(&m.remote("start")).await;
            assert_eq!(
                m.remote.seen(),
                ["/start", "/hop"],
                "both allowed hops were fetched"
            );
            for i in 0..targets.len() {
                m.get_refused(&m.remote(&format!("to{i}"))).await;
            }
            // A POST never follows a redirect: the 302 comes back to the caller.
            let posted = m
                .fetcher
                .post(
                    &Url::parse(&m.remote("to0")).unwrap(),
                    HeaderMap::new(),
                    b"{}".to_vec(),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(posted.status, StatusCode::FOUND);
            m.assert_no_connections();
        },
    );
}
