//! The pages in a real browser (headless Chromium over WebDriver) against the real
//! server: search → package page → remote follow lands on a Fedify-style server's
//! authorize page with the package's actor URI; a release published through the
//! fixture registry shows on the package page and is struck through after a yank.
//! Screenshots of each step are saved under `target/test-artifacts/browser/`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::browser::Browser;
use common::web::{RemoteServer, WebScenario};
use fantoccini::{Client, Locator};

async fn type_into(c: &Client, css: &str, text: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn search_then_package_page_then_remote_follow() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s = WebScenario::start().await;
    let remote = RemoteServer::start().await;
    let c = &browser.client;

    c.goto(&s.server.url("/")).await.unwrap();
    browser.screenshot("home").await;
    type_into(c, "input#q", "serde").await;
    click(c, "form.big-search button").await;
    // serde was unknown: the search created it from the fixture registry.
    let handle = c
        .wait()
        .for_element(Locator::Css("input.handle-text"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(handle, format!("@cargo.serde@{}", s.server.host));
    // JavaScript shows the copy button (loopback is a secure context).
    let copy_hidden = c
        .execute(
            "return document.querySelector('button.copy').hidden",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(copy_hidden, serde_json::Value::Bool(false));
    browser.screenshot("search").await;

    c.wait()
        .for_element(Locator::LinkText("serde"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "serde cargo");
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        s.server.url("/packages/cargo.serde")
    );
    browser.screenshot("package").await;

    type_into(c, "input[name=account]", &format!("@alice@{}", remote.host)).await;
    click(c, "form.remote-follow button").await;
    let confirm = c
        .wait()
        .for_element(Locator::Css("h1#confirm"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let actor = s.server.url("/packages/cargo.serde");
    assert_eq!(confirm, format!("Follow {actor}?"));
    let landed = c.current_url().await.unwrap();
    assert_eq!(landed.path(), "/authorize_interaction");
    assert_eq!(landed.host_str(), Some("127.0.0.1"));
    assert_eq!(remote.authorized(), vec![actor]);
    browser.screenshot("remote-follow").await;

    // A refused follow is a page saying why.
    c.goto(&s.server.url("/packages/cargo.serde"))
        .await
        .unwrap();
    type_into(c, "input[name=account]", &format!("@bob@{}", remote.host)).await;
    click(c, "form.remote-follow button").await;
    // The form's POST navigates: wait for the answer page, as for the redirect above.
    let message = c
        .wait()
        .for_element(Locator::Css(".error-message"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        message.contains("does not offer remote follow"),
        "{message}"
    );
    browser.screenshot("remote-follow-refused").await;
    browser.close().await;
}

#[tokio::test]
async fn a_published_release_shows_and_is_struck_through_after_a_yank() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let s = WebScenario::start().await;
    let serde = s.watched("pkg:cargo/serde").await;
    s.publish_cargo(&serde, "1.0.300").await;
    let c = &browser.client;
    let page = s.server.url("/packages/cargo.serde");

    c.goto(&page).await.unwrap();
    let first = c
        .wait()
        .for_element(Locator::Css("ol#releases li"))
        .await
        .unwrap();
    assert_eq!(
        first.attr("id").await.unwrap().as_deref(),
        Some("v-1.0.300")
    );
    let link = c
        .wait()
        .for_element(Locator::Css("li#v-1\\.0\\.300 a"))
        .await
        .unwrap();
    assert_eq!(link.text().await.unwrap(), "1.0.300");
    assert!(
        c.find_all(Locator::Css("li#v-1\\.0\\.300 del"))
            .await
            .unwrap()
            .is_empty()
    );
    browser.screenshot("release").await;

    s.yank_cargo(&serde, "1.0.300").await;
    c.refresh().await.unwrap();
    let struck = c
        .wait()
        .for_element(Locator::Css("li#v-1\\.0\\.300 del"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(struck, "1.0.300");
    // Struck through as rendered, not only marked up.
    let decoration = c
        .execute(
            "return getComputedStyle(document.querySelector('li[id=\"v-1.0.300\"] del')).textDecorationLine",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(decoration, serde_json::json!("line-through"));
    browser.screenshot("yanked").await;

    // The yanked post's page is a 410 page pointing back to the package.
    c.goto(&s.server.url("/packages/cargo.serde/releases/1.0.300"))
        .await
        .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h1, "Gone");
    browser.close().await;
}
