//! How `storage.database_url` reaches PostgreSQL. A URL without a user connects as
//! the user pkgfed runs as (`$USER`, as libpq), and says what to add when there is
//! none. Over TLS, to a PostgreSQL server that takes only encrypted
//! connections (`.ci/run` starts one with a certificate of a CA it made): with
//! `sslmode=verify-full&sslrootcert=<CA>` pkgfed serves on it and every connection it
//! holds is encrypted; a server certificate from another authority, or a CA file that
//! is not there, stops `pkgfed serve` before it listens, with a message that names the
//! key and hides the password.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::db::{Backend, TestDb};
use common::process::{Running, free_listen, pkgfed_command, raw_get, text, wait_healthy};
use sqlx::Connection;

const URL_VAR: &str = "PKGFED_TEST_POSTGRES_TLS_URL";
const CA_VAR: &str = "PKGFED_TEST_POSTGRES_CA";

/// The TLS-only server (a role with CREATEDB) and its CA file; `None` after a notice
/// outside CI, a failure under `CI=true`.
fn tls_server() -> Option<(String, PathBuf)> {
    match (std::env::var(URL_VAR), std::env::var(CA_VAR)) {
        (Ok(url), Ok(ca)) if !url.is_empty() && !ca.is_empty() => Some((url, ca.into())),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "the PostgreSQL TLS tests need {URL_VAR} (a TLS-only server, role with CREATEDB) \
             and {CA_VAR} (its CA certificate); .ci/run starts one"
        ),
        _ => {
            eprintln!("\n*** NOT RUN: this test needs {URL_VAR} and {CA_VAR} (see .ci/run). ***\n");
            None
        }
    }
}

/// `url` with its TLS settings.
fn with_tls(url: &str, mode: &str, ca: &Path) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut()
        .append_pair("sslmode", mode)
        .append_pair("sslrootcert", &ca.display().to_string());
    url.to_string()
}

/// A fresh database on the TLS server, reached with `verify-full`.
async fn fresh_db() -> Option<(TestDb, PathBuf)> {
    let (server, ca) = tls_server()?;
    let db = TestDb::fresh_on_postgres(with_tls(&server, "verify-full", &ca)).await;
    Some((db, ca))
}

fn serve(dir: &Path, listen: &str, database_url: &str) -> Command {
    let mut cmd = pkgfed_command(dir, listen, &["serve", "--dev"]);
    cmd.env("PKGFED_STORAGE_DATABASE_URL", database_url);
    cmd
}

/// `url` with the database's name and TLS settings swapped for `mode` and `ca`.
fn reconnect_url(db: &TestDb, mode: &str, ca: &Path) -> String {
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_query(None);
    with_tls(url.as_str(), mode, ca)
}

#[tokio::test]
async fn pkgfed_serves_on_a_verified_tls_connection() {
    let Some((db, _ca)) = fresh_db().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let add = pkgfed_command(dir.path(), &listen, &["packages", "add", "pkg:cargo/serde"])
        .env("PKGFED_STORAGE_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add.stderr));
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let _server = Running(
        serve(dir.path(), &listen, &db.url)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    wait_healthy(&listen);
    let ready = raw_get(&listen, "/readyz", "").unwrap();
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    let webfinger = raw_get(
        &listen,
        &format!("/.well-known/webfinger?resource=acct:cargo.serde@{listen}"),
        "",
    )
    .unwrap();
    assert!(webfinger.starts_with("HTTP/1.1 200"), "{webfinger}");

    // What the server sees of pkgfed's connections to this database.
    let name = url::Url::parse(&db.url).unwrap().path()[1..].to_owned();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let (total, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
         JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
    )
    .bind(&name)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(total > 0, "pkgfed holds no connection to {name}");
    assert_eq!(encrypted, total, "an unencrypted connection to {name}");
}

#[tokio::test]
async fn a_certificate_from_another_authority_stops_serve() {
    let Some((db, _ca)) = fresh_db().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.crt");
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=another authority", "-keyout"])
        .arg(dir.path().join("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .expect("openssl (installed by .ci/run) makes the other authority's certificate");
    assert!(made.status.success(), "{}", text(&made.stderr));
    let listen = free_listen();
    let out = serve(
        dir.path(),
        &listen,
        &reconnect_url(&db, "verify-full", &other_ca),
    )
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("storage.database_url"), "{err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(
        !err.contains("pkgfed_test:pkgfed_test@"),
        "the password is shown: {err}"
    );
    assert!(raw_get(&listen, "/healthz", "").is_none(), "it listened");
}

#[tokio::test]
async fn a_missing_ca_file_stops_serve_naming_it() {
    let Some((db, _ca)) = fresh_db().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-ca.crt");
    let listen = free_listen();
    let out = serve(
        dir.path(),
        &listen,
        &reconnect_url(&db, "verify-full", &missing),
    )
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("storage.database_url"), "{err}");
    assert!(
        err.contains(&format!("sslrootcert={} cannot be read", missing.display())),
        "{err}"
    );
    assert!(
        !err.contains("pkgfed_test:pkgfed_test@"),
        "the password is shown: {err}"
    );
}

#[tokio::test]
async fn a_url_without_a_user_connects_as_the_process_user() {
    let Some(db) = TestDb::fresh(Backend::Postgres).await else {
        return;
    };
    // The test role's name and password, and the database, without the user part.
    let mut url = url::Url::parse(&db.url).unwrap();
    let (role, password) = (
        url.username().to_owned(),
        url.password().unwrap().to_owned(),
    );
    url.set_username("").unwrap();
    url.set_password(None).unwrap();
    url.query_pairs_mut().append_pair("password", &password);
    let dir = tempfile::tempdir().unwrap();
    let listen = free_listen();
    let add = |user: Option<&str>| {
        let mut cmd = pkgfed_command(dir.path(), &listen, &["packages", "add", "pkg:cargo/serde"]);
        cmd.env("PKGFED_STORAGE_DATABASE_URL", url.as_str());
        if let Some(user) = user {
            cmd.env("USER", user);
        }
        cmd.output().unwrap()
    };
    let out = add(None);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("storage.database_url"), "{err}");
    assert!(err.contains("names no PostgreSQL user"), "{err}");
    assert!(!err.contains(&password), "the password is shown: {err}");
    assert!(
        db.open()
            .await
            .list_packages(None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let out = add(Some(&role));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let packages = db.open().await.list_packages(None, 10).await.unwrap();
    assert_eq!(packages.len(), 1);
}
