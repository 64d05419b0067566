//! `pkgfed serve --role web|worker` as real processes on one PostgreSQL database: the
//! web process serves HTTP and delivers nothing, the worker delivers and serves only
//! its probes, and a key rotated through the web process's admin API is used by the
//! worker for the very next delivery (the worker had the old key cached). The roles
//! are refused on SQLite with a message naming the key to set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Peer;
use common::db::{Backend, TestDb};
use common::process::{Running, free_listen, pkgfed_command, raw_get, text, wait_healthy};

const TOKEN: &str = "cluster-roles-test-token-0123456789abcdefghij";

/// `pkgfed serve --dev --role <role>` of a cluster whose public URL is `base`.
fn member(dir: &Path, listen: &str, base: &str, database_url: &str, role: &str) -> Command {
    let mut cmd = pkgfed_command(dir, listen, &["serve", "--dev", "--role", role]);
    cmd.env("PKGFED_SERVER_BASE_URL", base)
        .env("PKGFED_STORAGE_DATABASE_URL", database_url)
        .env("PKGFED_ADMIN_TOKEN", TOKEN);
    cmd
}

fn start(mut cmd: Command, listen: &str, log: &Path) -> Running {
    let log = std::fs::File::create(log).unwrap();
    let child = Running(cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap());
    wait_healthy(listen);
    child
}

#[test]
fn the_cluster_roles_are_refused_on_sqlite_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    for (args, env_role, shown) in [
        (
            vec!["serve", "--dev", "--role", "worker"],
            None,
            "--role worker",
        ),
        (vec!["serve", "--dev"], Some("web"), "--role web"),
    ] {
        let mut cmd = pkgfed_command(dir.path(), &listen, &args);
        if let Some(r) = env_role {
            cmd.env("PKGFED_ROLE", r);
        }
        let out = cmd.output().unwrap();
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(err.contains(&format!("{shown} needs PostgreSQL")), "{err}");
        assert!(err.contains("storage.database_url"), "{err}");
        assert!(
            !dir.path().join("pkgfed.db").exists(),
            "nothing was created before the refusal"
        );
    }
    let out = pkgfed_command(dir.path(), &listen, &["serve", "--role", "everything"])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("all, web, worker"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_and_a_worker_process_share_the_work_of_one_instance() {
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let web_listen = free_listen();
    let worker_listen = free_listen();
    let base = format!("http://{web_listen}");
    let add = pkgfed_command(
        dir.path(),
        &web_listen,
        &["packages", "add", "pkg:cargo/serde"],
    )
    .env("PKGFED_STORAGE_DATABASE_URL", &db.url)
    .output()
    .unwrap();
    assert!(add.status.success(), "{}", text(&add.stderr));
    let store = db.open().await;
    let package = store.list_packages(None, 1).await.unwrap().remove(0);
    let actor = format!("{base}/packages/{}", package.handle);

    let web = start(
        member(dir.path(), &web_listen, &base, &db.url, "web"),
        &web_listen,
        &dir.path().join("web.log"),
    );
    let peer = Peer::start().await;
    let follow = peer.follow("alice", &actor);
    let (status, body) = peer.post("alice", &format!("{actor}/inbox"), &follow).await;
    assert_eq!(status, 202, "{body}");
    // The web process queued the Accept but does not deliver.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        peer.received().is_empty(),
        "the web process delivered: {:?}",
        peer.received()
    );

    let _worker = start(
        member(dir.path(), &worker_listen, &base, &db.url, "worker"),
        &worker_listen,
        &dir.path().join("worker.log"),
    );
    let accept = peer
        .wait_for("the Accept", |r| r.body["type"] == "Accept")
        .await;
    assert_eq!(
        accept.verified.as_deref(),
        Ok(format!("{actor}#main-key").as_str())
    );

    // The worker serves its probes and metrics, and nothing of the API.
    let get = |listen: &str, path: &str| raw_get(listen, path, "").unwrap_or_default();
    assert!(get(&worker_listen, "/readyz").starts_with("HTTP/1.1 200"));
    let metrics = get(&worker_listen, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("pkgfed_deliveries_total"), "{metrics}");
    let wf = format!(
        "/.well-known/webfinger?resource=acct:{}@{web_listen}",
        package.handle
    );
    assert!(get(&worker_listen, &wf).starts_with("HTTP/1.1 404"));
    assert!(get(&web_listen, &wf).starts_with("HTTP/1.1 200"));

    // A rotation through the web process: the worker, which holds the old key from
    // the Accept, signs the Update with the new one.
    let rotated: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{base}/api/v1/admin/packages/rotate-key?package=pkg:cargo/serde"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rotated["deliveries"], 1, "{rotated}");
    let update = peer
        .wait_for("the key Update", |r| r.body["type"] == "Update")
        .await;
    assert!(
        update.verified.is_ok(),
        "signed with the old key: {:?}",
        update.verified
    );
    let log = std::fs::read_to_string(dir.path().join("worker.log")).unwrap();
    assert!(log.contains("cached keys dropped"), "{log}");
    drop(web);
}
