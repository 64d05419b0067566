//! Per-package feeds over HTTP, read back with an independent parser (feed-rs): a
//! release published through the fixture registry, its yank and an advisory appear
//! as entries in Atom and in JSON Feed 1.1; ETag and Last-Modified make a repeat
//! request a 304.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::web::WebScenario;

async fn fetch(s: &WebScenario, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = s.server.client.get(s.server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect()
}

#[tokio::test]
async fn feeds_list_releases_yanks_and_advisories_and_answer_304() {
    let s = WebScenario::start().await;
    let serde = s.watched("pkg:cargo/serde").await;
    s.publish_cargo(&serde, "1.0.300").await;
    s.yank_cargo(&serde, "1.0.300").await;
    s.advise_cargo(
        &serde,
        "RUSTSEC-2099-0009",
        "Panic on malformed input",
        "1.0.301",
    )
    .await;
    let page = s.server.url("/packages/cargo.serde");

    for (path, content_type) in [
        (
            "/packages/cargo.serde/feed.atom",
            "application/atom+xml; charset=utf-8",
        ),
        (
            "/packages/cargo.serde/feed.json",
            "application/feed+json; charset=utf-8",
        ),
    ] {
        let res = fetch(&s, path, &[]).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], content_type);
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let last_modified = res.headers()["last-modified"].to_str().unwrap().to_owned();
        let body = res.bytes().await.unwrap();
        let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path}: {e}"));
        let t = titles(&feed);
        assert!(t.contains(&"serde 1.0.300".to_owned()), "{path}: {t:?}");
        assert!(
            t.contains(&"serde 1.0.300 yanked".to_owned()),
            "{path}: {t:?}"
        );
        assert!(
            t.contains(
                &"Security advisory RUSTSEC-2099-0009 for serde: Panic on malformed input"
                    .to_owned()
            ),
            "{path}: {t:?}"
        );
        let advisory = feed
            .entries
            .iter()
            .find(|e| {
                e.title
                    .as_ref()
                    .unwrap()
                    .content
                    .starts_with("Security advisory")
            })
            .unwrap();
        let html = advisory
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| advisory.summary.as_ref().map(|s| s.content.clone()))
            .unwrap();
        assert!(html.contains("Fixed in: 1.0.301"), "{path}: {html}");
        assert!(html.contains("9.8 Critical"), "{path}: {html}");
        assert_eq!(
            advisory.links[0].href,
            format!("{page}/advisories/RUSTSEC-2099-0009"),
            "{path}"
        );
        let yank = feed
            .entries
            .iter()
            .find(|e| e.title.as_ref().unwrap().content.ends_with("yanked"))
            .unwrap();
        assert_eq!(yank.links[0].href, format!("{page}#v-1.0.300"), "{path}");
        assert!(yank.updated.is_some());

        // Conditional requests.
        let again = fetch(&s, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.bytes().await.unwrap().is_empty());
        let again = fetch(&s, path, &[("if-modified-since", &last_modified)]).await;
        assert_eq!(again.status(), 304, "{path}");
        let stale = fetch(&s, path, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(stale.status(), 200, "{path}");
        let old = fetch(
            &s,
            path,
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
        )
        .await;
        assert_eq!(old.status(), 200, "{path}");
    }

    // A new release changes the feed: neither the old ETag nor the old
    // Last-Modified match any more (Last-Modified is when pkgfed learned of the
    // newest change, even though the advisory claims a later date).
    let old = fetch(&s, "/packages/cargo.serde/feed.atom", &[]).await;
    let old_etag = old.headers()["etag"].to_str().unwrap().to_owned();
    let old_modified = old.headers()["last-modified"].to_str().unwrap().to_owned();
    // HTTP dates have whole seconds: let the next change fall in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.publish_cargo(&serde, "1.0.302").await;
    let res = fetch(
        &s,
        "/packages/cargo.serde/feed.atom",
        &[("if-modified-since", &old_modified)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = fetch(
        &s,
        "/packages/cargo.serde/feed.atom",
        &[("if-none-match", &old_etag)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let feed = feed_rs::parser::parse(&res.bytes().await.unwrap()[..]).unwrap();
    assert!(titles(&feed).contains(&"serde 1.0.302".to_owned()));

    // Unknown packages: 404, no feed created.
    assert_eq!(
        fetch(&s, "/packages/cargo.nothing/feed.atom", &[])
            .await
            .status(),
        404
    );
}
