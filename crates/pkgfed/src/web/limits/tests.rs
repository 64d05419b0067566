//! Unit tests of the limits' decisions (no server; the HTTP behaviour is tested in
//! `tests/inbound_limits.rs`).

use axum::http::HeaderMap;

use super::*;
use crate::config::LimitsConfig;

fn limits(tweak: impl FnOnce(&mut LimitsConfig)) -> Limits {
    let mut c = LimitsConfig::default();
    tweak(&mut c);
    Limits::new(&crate::config::limits::validate(&c, &[]).unwrap())
}

fn signed(header: &'static str, value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header, value.parse().unwrap());
    h
}

#[test]
fn key_ids_of_both_signature_schemes() {
    let cavage = signed(
        "signature",
        r#"keyId="https://Social.Example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="x""#,
    );
    assert_eq!(
        key_id(&cavage).as_deref(),
        Some("https://Social.Example/users/a#main-key")
    );
    let who = Requester::of(ClientIp(None), &cavage);
    assert_eq!(who.host.as_deref(), Some("social.example"));
    let rfc = signed(
        "signature-input",
        r#"sig1=("@method" "@target-uri");created=1;keyid="https://b.example/actor#k""#,
    );
    assert_eq!(
        Requester::of(ClientIp(None), &rfc).host.as_deref(),
        Some("b.example")
    );
    let auth = signed(
        "authorization",
        r#"Signature keyId="https://c.example/k",signature="x""#,
    );
    assert_eq!(
        Requester::of(ClientIp(None), &auth).host.as_deref(),
        Some("c.example")
    );
    assert_eq!(key_id(&HeaderMap::new()), None);
}

#[test]
fn a_host_over_its_burst_is_refused_with_retry_after() {
    let l = limits(|c| {
        c.inbox_per_host_per_minute = 1;
        c.inbox_per_host_burst = 2;
    });
    let who = Requester {
        ip: None,
        host: Some("flood.example".into()),
    };
    assert!(l.inbox(&who).is_ok());
    assert!(l.inbox(&who).is_ok());
    match l.inbox(&who) {
        Err(Error::TooManyRequests {
            message,
            retry_after_seconds,
        }) => {
            assert_eq!(retry_after_seconds, 60);
            assert!(message.contains("host flood.example"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Lookups have buckets of their own.
    assert!(l.lookup(&who).is_ok());
}

#[test]
fn exempt_addresses_and_ip_literal_hosts_are_not_limited() {
    let l = limits(|c| {
        c.inbox_per_ip_per_minute = 1;
        c.inbox_per_ip_burst = 1;
        c.inbox_per_host_per_minute = 1;
        c.inbox_per_host_burst = 1;
    });
    let local = Requester {
        ip: Some("127.0.0.1".parse().unwrap()),
        host: Some("[::1]".into()),
    };
    for _ in 0..10 {
        assert!(l.inbox(&local).is_ok());
    }
    let remote = Requester {
        ip: Some("203.0.113.5".parse().unwrap()),
        host: None,
    };
    assert!(l.inbox(&remote).is_ok());
    assert!(l.inbox(&remote).is_err());
}

#[test]
fn ipv6_clients_share_their_slash_64() {
    let l = limits(|c| {
        c.inbox_per_ip_per_minute = 1;
        c.inbox_per_ip_burst = 1;
    });
    let one = Requester {
        ip: Some("2001:db8:1:2::1".parse().unwrap()),
        host: None,
    };
    let same_net = Requester {
        ip: Some("2001:db8:1:2:ffff::9".parse().unwrap()),
        host: None,
    };
    let other_net = Requester {
        ip: Some("2001:db8:1:3::1".parse().unwrap()),
        host: None,
    };
    assert!(l.inbox(&one).is_ok());
    assert!(l.inbox(&same_net).is_err());
    assert!(l.inbox(&other_net).is_ok());
}
