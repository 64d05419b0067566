//! `pkgfed serve --role web|worker` as real processes on one PostgreSQL database: the
//! web process serves HTTP and delivers nothing, the worker delivers and serves only
//! its probes, and a key rotated through the web process's admin API is used by the
//! worker for the very next delivery (the worker had the old key cached). The roles
//! are refused on SQLite with a message naming the key to set.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::Peer;
use common::cluster::{Cluster, TOKEN};
use common::db::{Backend, TestDb};
use common::process::{free_listen, pkgfed_command, raw_get, text};

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
    let cluster = Cluster {
        dir: dir.path().to_owned(),
        base: base.clone(),
        database_url: db.url.clone(),
        env: Vec::new(),
    };
    cluster.add_package("pkg:cargo/serde");
    let store = db.open().await;
    let package = store.list_packages(None, 1).await.unwrap().remove(0);
    let actor = format!("{base}/packages/{}", package.handle);

    let web = cluster.start("web", "web", Some(web_listen.clone()));
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

    let worker = cluster.start("worker", "worker", Some(worker_listen.clone()));
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
    let log = worker.log();
    assert!(log.contains("cached keys dropped"), "{log}");
    drop(web);
}
