//! Test support for the people-facing pages and feeds: a server watching the fixture
//! registry and an OSV directory, with helpers that publish, yank and advise through
//! them and wait until pkgfed has acted; and a Fedify-style remote server whose
//! WebFinger publishes a remote-follow (`ostatus` subscribe) template.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use pkgfed::store::Package;
use pkgfed::store::watch::ReleaseState;
use pkgfed_registries::fixtures::FixtureRegistry;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::TestServer;
use super::watch::{add_follower_row, baseline, now_unix, use_fixture, within_30s};

/// A server on the fixture registry with an OSV advisory directory.
pub struct WebScenario {
    pub fixture: FixtureRegistry,
    pub server: TestServer,
    pub osv_dir: tempfile::TempDir,
}

impl WebScenario {
    pub async fn start() -> Self {
        let fixture = FixtureRegistry::with_recorded().await.unwrap();
        let osv_dir = tempfile::tempdir().unwrap();
        let dir = osv_dir.path().display().to_string();
        let server = TestServer::start_with(|c| {
            use_fixture(c, &fixture);
            c.advisories.directories = vec![dir];
            c.advisories.interval_seconds = 1;
        })
        .await;
        Self {
            fixture,
            server,
            osv_dir,
        }
    }

    /// Creates the package from its registry (as a lookup does), gives it a
    /// follower so that it is watched, and waits for its baseline.
    pub async fn watched(&self, purl: &str) -> Package {
        let package =
            pkgfed::packages::lazy::find_or_create_by_purl(&self.server.state.lookups, purl)
                .await
                .unwrap()
                .expect("the fixture registry has it");
        add_follower_row(&self.server, package.id, "alice").await;
        baseline(&self.server, &package).await;
        package
    }

    /// Waits until `version` of `package` is recorded in `state`.
    pub async fn wait_release(&self, package: &Package, version: &str, state: ReleaseState) {
        let store = self.server.state.store.clone();
        within_30s(&format!("{version} {state:?}"), || async {
            store
                .releases(package.id)
                .await
                .unwrap()
                .iter()
                .any(|r| r.version == version && r.state == state)
        })
        .await;
    }

    /// Publishes a Cargo version now and waits until pkgfed announced it.
    pub async fn publish_cargo(&self, package: &Package, version: &str) {
        self.fixture
            .edit(|r| r.cargo_publish(&package.name, version, Some(now_unix())));
        let state = if version.contains('-') {
            // Prereleases are recorded; whether they are posted is a setting.
            None
        } else {
            Some(ReleaseState::Announced)
        };
        match state {
            Some(s) => self.wait_release(package, version, s).await,
            None => {
                let store = self.server.state.store.clone();
                within_30s(&format!("{version} recorded"), || async {
                    store
                        .releases(package.id)
                        .await
                        .unwrap()
                        .iter()
                        .any(|r| r.version == version)
                })
                .await
            }
        }
    }

    /// Yanks a Cargo version and waits until pkgfed recorded the yank.
    pub async fn yank_cargo(&self, package: &Package, version: &str) {
        assert!(
            self.fixture
                .edit(|r| r.cargo_set_yanked(&package.name, version, true))
        );
        self.wait_release(package, version, ReleaseState::Yanked)
            .await;
    }

    /// Writes an OSV advisory about a crate (CVSS 9.8, fixed in `fixed`) and waits
    /// until pkgfed stored it.
    pub async fn advise_cargo(&self, package: &Package, id: &str, summary: &str, fixed: &str) {
        let osv = json!({
            "schema_version": "1.6.0",
            "id": id,
            "modified": "2099-01-02T00:00:00Z",
            "published": "2099-01-01T00:00:00Z",
            "summary": summary,
            "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
            "affected": [{
                "package": { "ecosystem": "crates.io", "name": package.name },
                "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "1.0.0" }, { "fixed": fixed }] }]
            }],
            "references": [{ "type": "ADVISORY", "url": format!("https://advisories.test/{id}") }]
        });
        write(self.osv_dir.path(), &format!("{id}.json"), &osv);
        let store = self.server.state.store.clone();
        let pid = package.id;
        within_30s("the advisory post", || async {
            store
                .advisory_post(pid, id)
                .await
                .unwrap()
                .is_some_and(|r| r.state == "posted")
        })
        .await;
    }
}

fn write(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// A remote fediverse server as Fedify and Mastodon build them: WebFinger answers
/// `acct:` lookups with a JRD whose `http://ostatus.org/schema/1.0/subscribe` link
/// has the template `<base>/authorize_interaction?uri={uri}`, and that page asks
/// the signed-in user to confirm the follow. `bob` has no template; unknown users
/// get 404.
#[derive(Clone)]
pub struct RemoteServer {
    pub base: String,
    pub host: String,
    /// The `uri` each visit of the authorize page carried.
    pub authorized: Arc<Mutex<Vec<String>>>,
}

#[derive(serde::Deserialize)]
struct Resource {
    resource: Option<String>,
    uri: Option<String>,
}

impl RemoteServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let me = Self {
            base: format!("http://{host}"),
            host,
            authorized: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/authorize_interaction", get(authorize))
            .with_state(me.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        me
    }

    pub fn authorized(&self) -> Vec<String> {
        self.authorized.lock().unwrap().clone()
    }
}

async fn webfinger(State(s): State<RemoteServer>, Query(q): Query<Resource>) -> Response {
    let resource = q.resource.unwrap_or_default();
    let Some(user) = resource
        .strip_prefix("acct:")
        .and_then(|r| r.strip_suffix(&format!("@{}", s.host)))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut links = vec![json!({
        "rel": "self",
        "type": "application/activity+json",
        "href": format!("{}/users/{user}", s.base),
    })];
    match user {
        "alice" => links.push(json!({
            "rel": "http://ostatus.org/schema/1.0/subscribe",
            "template": format!("{}/authorize_interaction?uri={{uri}}", s.base),
        })),
        "bob" => {}
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    let mut res = json!({ "subject": resource, "links": links })
        .to_string()
        .into_response();
    res.headers_mut()
        .insert("content-type", "application/jrd+json".parse().unwrap());
    res
}

async fn authorize(State(s): State<RemoteServer>, Query(q): Query<Resource>) -> Html<String> {
    let uri = q.uri.unwrap_or_default();
    s.authorized.lock().unwrap().push(uri.clone());
    Html(format!(
        "<!doctype html><title>Follow?</title><main><h1 id=confirm>Follow {uri}?</h1></main>"
    ))
}
