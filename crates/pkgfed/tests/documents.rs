//! WebFinger, actor, collections, NodeInfo and host-meta documents, and the
//! content-negotiation matrix, over HTTP against the real server.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use pkgfed::store::{NewFollower, PackageMeta};
use serde_json::Value;

const AS_LD: &str = r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;

#[tokio::test]
async fn webfinger_resolves_handles_urls_and_purls() {
    let server = TestServer::start().await;
    let p = server.add_package("pkg:npm/%40types/node").await;
    let actor = server.url(&format!("/packages/{}", p.handle));
    let subject = format!("acct:{}@{}", p.handle, server.host);
    for resource in [
        subject.clone(),
        format!("{}@{}", p.handle, server.host),
        actor.clone(),
        "pkg:npm/%40types/node".to_string(),
        "pkg:npm/@types/node".to_string(),
    ] {
        let res = server
            .client
            .get(server.url("/.well-known/webfinger"))
            .query(&[("resource", &resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{resource}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/jrd+json")
        );
        let jrd: Value = res.json().await.unwrap();
        assert_eq!(jrd["subject"], subject, "{resource}");
        let self_link = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .unwrap();
        assert_eq!(self_link["href"], actor);
        assert_eq!(self_link["type"], "application/activity+json");
    }
    // Instance actor.
    let res = server
        .client
        .get(server.url("/.well-known/webfinger"))
        .query(&[("resource", format!("acct:{0}@{0}", server.host))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Unknown → 404, other host → 404, malformed → 400, missing → 400; all with CORS.
    for (resource, status) in [
        (format!("acct:nosuchpkg@{}", server.host), 404),
        ("acct:serde@elsewhere.example".to_string(), 404),
        ("pkg:cargo/not-added".to_string(), 404),
        ("acct:serde".to_string(), 400),
        ("pkg:maven/x".to_string(), 400),
    ] {
        let res = server
            .client
            .get(server.url("/.well-known/webfinger"))
            .query(&[("resource", &resource)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{resource}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
    }
    let res = server
        .client
        .get(server.url("/.well-known/webfinger"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn webfinger_finds_names_the_ecosystem_treats_as_equal() {
    let server = TestServer::start_with(|c| {
        c.packages.ecosystems = vec![pkgfed_registries::Ecosystem::Cargo]
    })
    .await;
    let p = server.add_package("pkg:cargo/serde_json").await;
    assert_eq!(p.handle, "serde_json", "single ecosystem: bare name");
    for alias in ["serde-json", "Serde_JSON"] {
        let res = server
            .client
            .get(server.url("/.well-known/webfinger"))
            .query(&[("resource", format!("acct:{alias}@{}", server.host))])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{alias}");
        let jrd: Value = res.json().await.unwrap();
        assert_eq!(jrd["subject"], format!("acct:serde_json@{}", server.host));
    }
}

#[tokio::test]
async fn actor_document_has_every_field() {
    let server = TestServer::start().await;
    let meta = PackageMeta {
        display_name: None,
        description: Some("A serialization framework <fast>".into()),
        homepage: Some("https://serde.example".into()),
        repository: Some("https://forge.example/serde-rs/serde".into()),
        license: Some("MIT OR Apache-2.0".into()),
    };
    let p = server.add_package_with("pkg:cargo/serde", meta).await;
    let path = format!("/packages/{}", p.handle);
    let doc = server.get_json(&path).await;
    let id = server.url(&path);
    assert_eq!(doc["id"], id, "id equals the URL it is served at");
    assert_eq!(doc["type"], "Application");
    assert_eq!(doc["preferredUsername"], p.handle);
    let username = doc["preferredUsername"].as_str().unwrap();
    assert!(pkgfed_registries::handle::is_valid_username(username));
    assert_eq!(doc["name"], "serde");
    assert!(
        doc["summary"].as_str().unwrap().contains("&lt;fast&gt;"),
        "summary is escaped HTML"
    );
    assert_eq!(doc["url"], id);
    for (k, suffix) in [
        ("inbox", "/inbox"),
        ("outbox", "/outbox"),
        ("followers", "/followers"),
        ("following", "/following"),
    ] {
        assert_eq!(doc[k], format!("{id}{suffix}"));
    }
    assert_eq!(doc["endpoints"]["sharedInbox"], server.url("/inbox"));
    assert_eq!(doc["publicKey"]["id"], format!("{id}#main-key"));
    assert_eq!(doc["publicKey"]["owner"], id);
    let pem = doc["publicKey"]["publicKeyPem"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let key = pkgfed_protocol::keys::PublicKey::from_pem(pem).unwrap();
    assert!(key.is_rsa());
    assert_eq!(doc["discoverable"], true);
    assert_eq!(doc["indexable"], true);
    assert_eq!(doc["manuallyApprovesFollowers"], false);
    assert!(doc["published"].as_str().unwrap().ends_with('Z'));
    let names: Vec<&str> = doc["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Ecosystem",
            "Package URL",
            "Homepage",
            "Repository",
            "Licence"
        ]
    );
    assert!(
        doc["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["type"] == "PropertyValue")
    );
    assert_eq!(doc["attachment"][1]["value"], "pkg:cargo/serde");
    // Every URL in the document is on the configured host.
    fn urls(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if s.starts_with("http") => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| urls(x, out)),
            Value::Object(o) => o
                .iter()
                .filter(|(k, _)| k.as_str() != "@context" && k.as_str() != "attachment")
                .for_each(|(_, x)| urls(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    urls(&doc, &mut found);
    assert!(found.len() >= 8);
    assert!(
        found.iter().all(|u| u.starts_with(&server.base)),
        "{found:?}"
    );
}

#[tokio::test]
async fn service_actor_type_is_configurable() {
    let server = TestServer::start_with(|c| c.federation.actor_type = "Service".into()).await;
    let p = server.add_package("pkg:pypi/requests").await;
    let doc = server.get_json(&format!("/packages/{}", p.handle)).await;
    assert_eq!(doc["type"], "Service");
}

#[tokio::test]
async fn content_negotiation_matrix() {
    let server = TestServer::start().await;
    let p = server.add_package("pkg:cargo/serde").await;
    let actor = format!("/packages/{}", p.handle);
    let cases: &[(&str, u16, &str)] = &[
        (
            "application/activity+json",
            200,
            "application/activity+json",
        ),
        (AS_LD, 200, "application/ld+json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            200,
            "text/html",
        ),
        ("*/*", 200, "application/activity+json"),
        ("image/png", 406, ""),
        ("application/json", 406, ""),
    ];
    for path in [
        actor.clone(),
        format!("{actor}/outbox"),
        format!("{actor}/followers"),
        format!("{actor}/following"),
    ] {
        for (accept, status, ct) in cases {
            let is_actor = path == actor;
            let (got, got_ct, body) = server.get(&path, accept).await;
            if ct == &"text/html" && !is_actor {
                // Collections have no page: a browser's `*/*;q=0.8` gets JSON.
                assert_eq!(got, 200, "{path} {accept}");
                assert!(
                    got_ct.starts_with("application/activity+json"),
                    "{path}: {got_ct}"
                );
                assert_eq!(
                    server.get(&path, "text/html").await.0,
                    406,
                    "{path}: text/html only"
                );
                continue;
            }
            assert_eq!(got, *status, "{path} {accept}: {body}");
            assert!(got_ct.starts_with(ct), "{path} {accept}: {got_ct}");
            if ct == &"text/html" {
                assert!(
                    body.contains("<h1>serde <span class=\"eco\">cargo</span></h1>"),
                    "{body}"
                );
            }
        }
    }
    let (status, _, _) = server
        .get("/packages/nope", "application/activity+json")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn collections_are_cursor_paged() {
    let server = TestServer::start().await;
    let p = server.add_package("pkg:cargo/serde").await;
    for i in 0..120 {
        server
            .state
            .store
            .add_follower(
                p.id,
                &NewFollower {
                    actor_id: format!("https://f{i}.example/users/u"),
                    inbox: format!("https://f{i}.example/users/u/inbox"),
                    shared_inbox: None,
                    follow_id: format!("https://f{i}.example/follows/1"),
                },
            )
            .await
            .unwrap();
    }
    let id = server.url(&format!("/packages/{}/followers", p.handle));
    let coll = server
        .get_json(&format!("/packages/{}/followers", p.handle))
        .await;
    assert_eq!(coll["type"], "OrderedCollection");
    assert_eq!(coll["totalItems"], 120);
    let mut next = coll["first"].as_str().unwrap().to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let path = next.strip_prefix(&server.base).unwrap().to_owned();
        let page = server.get_json(&path).await;
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["partOf"], id);
        assert_eq!(page["id"], next);
        assert_eq!(page["totalItems"], 120);
        seen.extend(
            page["orderedItems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned()),
        );
        pages += 1;
        match page["next"].as_str() {
            Some(n) => next = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120);
    seen.dedup();
    assert_eq!(seen.len(), 120, "no item twice");
    let outbox = server
        .get_json(&format!("/packages/{}/outbox", p.handle))
        .await;
    assert_eq!(outbox["type"], "OrderedCollection");
    assert_eq!(outbox["totalItems"], 0);
    let (status, _, _) = server
        .get(
            &format!("/packages/{}/followers?after=-3", p.handle),
            "application/activity+json",
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn nodeinfo_and_host_meta() {
    let server = TestServer::start().await;
    server.add_package("pkg:cargo/serde").await;
    server.add_package("pkg:npm/left-pad").await;
    let res = server
        .client
        .get(server.url("/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap();
    let disco: Value = res.json().await.unwrap();
    assert_eq!(
        disco["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );
    let href = disco["links"][0]["href"].as_str().unwrap();
    assert_eq!(href, server.url("/nodeinfo/2.1"));
    let res = server.client.get(href).send().await.unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("2.1")
    );
    let ni: Value = res.json().await.unwrap();
    assert_eq!(ni["version"], "2.1");
    assert_eq!(ni["software"]["name"], "pkgfed");
    assert_eq!(ni["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(ni["protocols"], serde_json::json!(["activitypub"]));
    assert_eq!(ni["usage"]["users"]["total"], 2);
    assert_eq!(ni["openRegistrations"], false);
    let res = server
        .client
        .get(server.url("/.well-known/host-meta"))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xrd+xml")
    );
    let xml = res.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "{}/.well-known/webfinger?resource={{uri}}",
            server.base
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn instance_actor_is_served() {
    let server = TestServer::start().await;
    let doc = server.get_json("/actor").await;
    assert_eq!(doc["id"], server.url("/actor"));
    assert_eq!(doc["type"], "Application");
    assert_eq!(doc["publicKey"]["id"], server.url("/actor#main-key"));
    assert!(
        doc["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY")
    );
}
