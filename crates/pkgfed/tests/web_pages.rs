//! The people-facing pages over HTTP against the real server: the package page with
//! releases published and yanked through the fixture registry and an advisory from
//! an OSV directory; the same URLs still serve ActivityPub JSON; search by name,
//! handle and purl (creating the package on first lookup); remote follow against a
//! Fedify-style server; the 404/410 pages; the stylesheet.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use common::web::{RemoteServer, WebScenario};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[tokio::test]
async fn the_package_page_shows_releases_yanks_and_advisories() {
    let s = WebScenario::start().await;
    let serde = s.watched("pkg:cargo/serde").await;
    s.publish_cargo(&serde, "1.0.300").await;
    s.publish_cargo(&serde, "1.0.301").await;
    s.publish_cargo(&serde, "1.1.0-rc.1").await;
    s.yank_cargo(&serde, "1.0.300").await;
    s.advise_cargo(
        &serde,
        "RUSTSEC-2099-0007",
        "Stack <overflow> in deserialize",
        "1.0.302",
    )
    .await;

    let (status, ct, html) = s.server.get("/packages/cargo.serde", BROWSER).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(ct, "text/html; charset=utf-8");
    assert!(
        html.contains("<h1>serde <span class=\"eco\">cargo</span></h1>"),
        "{html}"
    );
    assert!(html.contains(&format!("@cargo.serde@{}", s.server.host)));
    assert!(html.contains("<dd id=\"followers\">1</dd>"), "{html}");
    // Newest first; the yanked one struck through; the prerelease marked.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {html}"))
    };
    assert!(at("id=\"v-1.1.0-rc.1\"") < at("id=\"v-1.0.301\""));
    assert!(at("id=\"v-1.0.301\"") < at("id=\"v-1.0.300\""));
    let yanked = &html[at("id=\"v-1.0.300\"")..];
    let yanked = &yanked[..yanked.find("</li>").unwrap()];
    assert!(yanked.contains("<del>1.0.300</del>"), "{yanked}");
    assert!(yanked.contains("yanked"), "{yanked}");
    let rc = &html[at("id=\"v-1.1.0-rc.1\"")..];
    assert!(rc[..rc.find("</li>").unwrap()].contains("prerelease"));
    // The live release links to its post; the advisory shows severity and fix,
    // escaped.
    assert!(html.contains(&format!(
        "<a href=\"{}\">1.0.301</a>",
        s.server.url("/packages/cargo.serde/releases/1.0.301")
    )));
    assert!(html.contains("RUSTSEC-2099-0007"));
    assert!(
        html.contains("Stack &#60;overflow&#62; in deserialize")
            || html.contains("Stack &lt;overflow&gt; in deserialize"),
        "{html}"
    );
    assert!(
        html.contains("9.8 Critical (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)"),
        "{html}"
    );
    assert!(html.contains("<dd class=\"fixed\">1.0.302</dd>"), "{html}");
    // Feeds are advertised.
    assert!(html.contains(&format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"serde releases (Atom)\" href=\"{}\">",
        s.server.url("/packages/cargo.serde/feed.atom")
    )), "{html}");
    assert!(html.contains("type=\"application/feed+json\""));

    // ActivityPub clients still get the actor at the same URL.
    let actor = s.server.get_json("/packages/cargo.serde").await;
    assert_eq!(actor["type"], "Application");

    // The release page is the Note's HTML; the yanked one is 410 with a page.
    let (status, _, page) = s
        .server
        .get("/packages/cargo.serde/releases/1.0.301", BROWSER)
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>serde 1.0.301</h1>"), "{page}");
    assert!(
        page.contains("https://registry.test/crates/serde/1.0.301"),
        "{page}"
    );
    let (status, _, gone) = s
        .server
        .get("/packages/cargo.serde/releases/1.0.300", BROWSER)
        .await;
    assert_eq!(status, 410);
    assert!(
        gone.contains("<h1>Gone</h1>") && gone.contains("was deleted"),
        "{gone}"
    );
    let (status, _, advisory) = s
        .server
        .get(
            "/packages/cargo.serde/advisories/RUSTSEC-2099-0007",
            BROWSER,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        advisory.contains("class=\"warning\""),
        "the content warning: {advisory}"
    );
    assert!(advisory.contains("Fixed in"), "{advisory}");
}

#[tokio::test]
async fn a_cached_page_shows_a_release_and_a_yank_at_once() {
    let s = WebScenario::start().await;
    let serde = s.watched("pkg:cargo/serde").await;
    // Rendered, then served from the page cache.
    let (_, _, first) = s.server.get("/packages/cargo.serde", BROWSER).await;
    let (_, _, again) = s.server.get("/packages/cargo.serde", BROWSER).await;
    assert_eq!(first, again);
    assert!(!first.contains("id=\"v-1.0.300\""), "{first}");

    // Within the cache's second: the release shows, then its yank.
    s.publish_cargo(&serde, "1.0.300").await;
    let (_, _, html) = s.server.get("/packages/cargo.serde", BROWSER).await;
    assert!(html.contains("id=\"v-1.0.300\""), "the new release: {html}");
    s.yank_cargo(&serde, "1.0.300").await;
    let (_, _, html) = s.server.get("/packages/cargo.serde", BROWSER).await;
    assert!(html.contains("<del>1.0.300</del>"), "the yank: {html}");
}

#[tokio::test]
async fn search_finds_or_creates_by_name_handle_and_purl() {
    let s = WebScenario::start().await;
    let host = s.server.host.clone();
    for q in [
        "serde",
        "cargo.serde",
        &format!("@cargo.serde@{host}"),
        "pkg:cargo/serde",
    ] {
        let res = s
            .server
            .client
            .get(s.server.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{q}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("value=\"@cargo.serde@{host}\"")),
            "{q}: {html}"
        );
        assert!(html.contains("action=\"") && html.contains("/follow\" method=\"post\""));
    }
    // npm scopes as people type them.
    let res = s
        .server
        .client
        .get(s.server.url("/search"))
        .query(&[("q", "pkg:npm/@sindresorhus/is")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("@sindresorhus/is"));

    let before = s.server.counts().await;
    for (q, status, message) in [
        ("", 400, "enter a package name"),
        (
            "no-such-package-anywhere",
            404,
            "no package `no-such-package-anywhere` here",
        ),
        ("@cargo.serde@elsewhere.test", 400, "is on another server"),
        ("pkg:nope/x", 400, "pkg:nope/x"),
    ] {
        let res = s
            .server
            .client
            .get(s.server.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{q}");
        let html = res.text().await.unwrap();
        assert!(html.contains(message), "{q}: {html}");
        assert!(html.contains("role=\"alert\""));
    }
    assert_eq!(s.server.counts().await.packages, before.packages);
}

async fn follow(server: &TestServer, package: &str, account: &str) -> (u16, String, String) {
    let res = server
        .client
        .post(server.url("/follow"))
        .form(&[("package", package), ("account", account)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

#[tokio::test]
async fn remote_follow_redirects_to_the_followers_server() {
    let server = TestServer::start().await;
    server.add_package("pkg:cargo/serde").await;
    let remote = RemoteServer::start().await;
    let actor = server.url("/packages/cargo.serde");

    let (status, location, _) =
        follow(&server, "cargo.serde", &format!("@alice@{}", remote.host)).await;
    assert_eq!(status, 303);
    let expected: String =
        url::form_urlencoded::byte_serialize(actor.as_bytes()).collect::<String>();
    assert_eq!(
        location,
        format!(
            "{}/authorize_interaction?uri={}",
            remote.base,
            expected.replace('.', "%2E")
        )
    );
    let back = url::Url::parse(&location).unwrap();
    let uri = back.query_pairs().find(|(k, _)| k == "uri").unwrap().1;
    assert_eq!(uri, actor);

    for (account, status, message) in [
        ("alice", 400, "is not a fediverse account"),
        ("@alice@", 400, "is not a fediverse account"),
        (
            &format!("@carol@{}", remote.host) as &str,
            404,
            "has no account",
        ),
        (
            &format!("@bob@{}", remote.host),
            400,
            "does not offer remote follow",
        ),
        ("@alice@127.0.0.1:9", 400, "could not reach 127.0.0.1:9"),
    ] {
        let (got, location, html) = follow(&server, "cargo.serde", account).await;
        assert_eq!(got, status, "{account}: {html}");
        assert!(location.is_empty());
        assert!(html.contains(message), "{account}: {html}");
    }
    let (status, _, html) =
        follow(&server, "cargo.nothing", &format!("@alice@{}", remote.host)).await;
    assert_eq!(status, 404, "{html}");
}

#[tokio::test]
async fn remote_follow_refuses_private_addresses_without_the_test_switch() {
    let server = TestServer::start_with(|c| c.federation.allow_private_addresses = false).await;
    server.add_package("pkg:cargo/serde").await;
    let remote = RemoteServer::start().await;
    let (status, _, html) =
        follow(&server, "cargo.serde", &format!("@alice@{}", remote.host)).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("non-public address"), "{html}");
    assert!(remote.authorized().is_empty());
}

#[tokio::test]
async fn home_not_found_and_assets() {
    let server = TestServer::start().await;
    let (status, ct, home) = server.get("/", BROWSER).await;
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(home.contains("<main id=\"main\">") && home.contains("role=\"search\""));
    assert!(home.contains("<label for=\"q\">"));

    let (status, _, page) = server.get("/packages/cargo.nothing-here", BROWSER).await;
    assert_eq!(status, 404);
    assert!(page.contains("<h1>Not found</h1>"), "{page}");
    let (status, ct, _) = server
        .get("/packages/cargo.nothing-here", "application/activity+json")
        .await;
    assert_eq!((status, ct.as_str()), (404, "application/json"));
    let (status, _, page) = server.get("/no/such/page", BROWSER).await;
    assert_eq!(status, 404);
    assert!(page.contains("there is no page at /no/such/page"));

    let (status, ct, css) = server.get("/static/pkgfed.css", "text/css").await;
    assert_eq!((status, ct.as_str()), (200, "text/css; charset=utf-8"));
    assert!(css.contains("prefers-color-scheme"));
}
