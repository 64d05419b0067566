//! Every outbound POST is signed the way Mastodon expects (draft-cavage `rsa-sha256`
//! over `(request-target) host date digest`, with `Digest` and the ActivityPub
//! content type); a host that refuses that with 401 but accepts RFC 9421 gets an RFC
//! 9421 retry at once, and the scheme is remembered for the host.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::fleet::{Answer, Behaviour, Fleet, Received};
use common::manual::{followed_by_each, row};
use pkgfed_protocol::signatures::{Scheme, digest_header};

/// A parameter of a draft-cavage `Signature` header.
fn param<'a>(signature: &'a str, name: &str) -> Option<&'a str> {
    signature.split(',').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k == name).then(|| v.trim_matches('"'))
    })
}

fn assert_mastodon_style(r: &Received, key_id: &str) {
    assert_eq!(r.verified.as_deref(), Ok(key_id), "{r:?}");
    assert_eq!(r.scheme, Some(Scheme::Cavage));
    let sig = r.header("signature").unwrap();
    assert_eq!(param(sig, "keyId"), Some(key_id));
    assert_eq!(param(sig, "algorithm"), Some("rsa-sha256"));
    assert_eq!(
        param(sig, "headers"),
        Some("(request-target) host date digest")
    );
    let digest = r.header("digest").unwrap();
    assert!(digest.starts_with("SHA-256="), "{digest}");
    assert_eq!(digest, digest_header(&r.body), "Digest matches the body");
    assert_eq!(r.header("content-type"), Some("application/activity+json"));
    assert_eq!(r.header("host"), Some(r.host.as_str()));
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let skew = date
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_else(|e| e.duration());
    assert!(skew.as_secs() < 60, "{skew:?}");
}

#[tokio::test]
async fn every_post_is_signed_draft_cavage_with_digest_and_content_type() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(3).await;
    let package = followed_by_each(&server, &fleet).await;
    let actor = server.state.urls.actor(&package.handle);
    // A Follow too, so its Accept is among the POSTs checked.
    let h = fleet.host(0);
    assert_eq!(
        h.post_as("f", &format!("{actor}/inbox"), &h.follow("f", &actor))
            .await,
        202
    );
    for n in 1..=2 {
        server.publish_post(&package, n).await;
    }
    assert_eq!(server.run_due().await, 1 + 2 * 4);

    let received = fleet.received();
    assert_eq!(received.len(), 9);
    for r in &received {
        assert_mastodon_style(r, &format!("{actor}#main-key"));
        assert_eq!(r.answer, Answer::Status(202));
    }
    for h in &fleet.hosts {
        let st = server.host_state(&h.host).await;
        assert_eq!(st.signature_scheme.as_deref(), Some("cavage"));
    }
}

#[tokio::test]
async fn double_knocking_retries_with_rfc9421_and_remembers_it_per_host() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(2).await;
    let (strict, plain) = (fleet.host(0), fleet.host(1));
    strict.set(Behaviour::Rfc9421Only);
    let package = followed_by_each(&server, &fleet).await;
    let key_id = format!("{}#main-key", server.state.urls.actor(&package.handle));
    let id = server.publish_post(&package, 1).await;
    assert_eq!(server.run_due().await, 2, "one attempt each");

    // draft-cavage first, refused; RFC 9421 at once, accepted.
    let got = strict.received();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].scheme, Some(Scheme::Cavage));
    assert_eq!(got[0].answer, Answer::Status(401));
    assert_eq!(got[1].scheme, Some(Scheme::Rfc9421));
    assert_eq!(got[1].verified.as_deref(), Ok(key_id.as_str()));
    assert_eq!(got[1].answer, Answer::Status(202));
    assert_eq!(got[1].body, got[0].body, "the same activity");
    let input = got[1].header("signature-input").unwrap();
    for component in [r#""@method""#, r#""@target-uri""#, r#""content-digest""#] {
        assert!(input.contains(component), "{input}");
    }
    assert!(
        got[1]
            .header("content-digest")
            .unwrap()
            .starts_with("sha-256=:")
    );
    assert_eq!(
        got[1].header("content-type"),
        Some("application/activity+json")
    );
    let d = row(&server.status(&id).await, &strict.inbox("u")).clone();
    assert_eq!((d.state.as_str(), d.attempts), ("succeeded", 1));

    // Remembered per host: the strict host gets RFC 9421 first, the other cavage.
    let strict_state = server.host_state(&strict.host).await;
    assert_eq!(strict_state.signature_scheme.as_deref(), Some("rfc9421"));
    let plain_state = server.host_state(&plain.host).await;
    assert_eq!(plain_state.signature_scheme.as_deref(), Some("cavage"));
    strict.clear();
    plain.clear();
    server.publish_post(&package, 2).await;
    assert_eq!(server.run_due().await, 2);
    let got = strict.received();
    assert_eq!(got.len(), 1, "no knock that is known to fail");
    assert_eq!(got[0].scheme, Some(Scheme::Rfc9421));
    assert_eq!(got[0].answer, Answer::Status(202));
    assert_eq!(plain.received()[0].scheme, Some(Scheme::Cavage));
}

#[tokio::test]
async fn a_host_remembered_as_rfc9421_is_knocked_on_with_cavage_second() {
    let server = TestServer::start_manual().await;
    let fleet = Fleet::start(1).await;
    let h = fleet.host(0);
    h.set(Behaviour::Rfc9421Only);
    let package = followed_by_each(&server, &fleet).await;
    server.publish_post(&package, 1).await;
    server.run_due().await;
    assert_eq!(
        server.host_state(&h.host).await.signature_scheme.as_deref(),
        Some("rfc9421")
    );
    // The host now refuses everything: RFC 9421 first, then draft-cavage, and a
    // failure does not change what is remembered.
    h.set(Behaviour::Status(401));
    h.clear();
    server.publish_post(&package, 2).await;
    server.run_due().await;
    let schemes: Vec<_> = h.received().iter().map(|r| r.scheme).collect();
    assert_eq!(schemes, vec![Some(Scheme::Rfc9421), Some(Scheme::Cavage)]);
    assert_eq!(
        server.host_state(&h.host).await.signature_scheme.as_deref(),
        Some("rfc9421")
    );
}
