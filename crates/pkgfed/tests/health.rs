//! `/healthz` and `/readyz` over HTTP against the real server: ready on a migrated
//! database; not ready, with the reason, when the schema lacks a migration, is newer
//! than the binary, or the database file is gone — while `/healthz` stays up.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::TestServer;
use sqlx::Connection;

/// The SQLite file behind a test server.
fn db_path(server: &TestServer) -> std::path::PathBuf {
    let url = &server.state.settings.database_url;
    url.strip_prefix("sqlite://").unwrap().into()
}

async fn probe(server: &TestServer, path: &str) -> (u16, String, String) {
    let res = server.client.get(server.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, res.text().await.unwrap())
}

async fn sql(server: &TestServer, statement: &'static str) {
    let url = format!("sqlite://{}", db_path(server).display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(statement).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn healthy_and_ready_on_a_migrated_database() {
    let server = TestServer::start().await;
    assert_eq!(
        probe(&server, "/healthz").await,
        (200, "no-store".into(), "ok\n".into())
    );
    assert_eq!(
        probe(&server, "/readyz").await,
        (200, "no-store".into(), "ready\n".into())
    );
}

#[tokio::test]
async fn not_ready_when_a_migration_is_missing() {
    let server = TestServer::start().await;
    // A database restored from a backup taken before the last migration.
    sql(
        &server,
        "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)",
    )
    .await;
    let newest = pkgfed::store::migrate::SQLITE.last().unwrap();
    let (status, _, body) = probe(&server, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let reason = format!(
        "not ready: the database lacks migrations {} ({})",
        newest.version, newest.name
    );
    assert!(body.starts_with(&reason), "{body}");
    assert!(body.contains("restart pkgfed"), "{body}");
    assert_eq!(probe(&server, "/healthz").await.0, 200);
}

#[tokio::test]
async fn not_ready_when_a_newer_pkgfed_migrated_the_database() {
    let server = TestServer::start().await;
    sql(
        &server,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)",
    )
    .await;
    let (status, _, body) = probe(&server, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("schema version 999"), "{body}");
    assert!(body.contains("upgrade pkgfed"), "{body}");
}

#[tokio::test]
async fn not_ready_when_the_database_file_is_gone() {
    let server = TestServer::start().await;
    let db = db_path(&server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let (status, _, body) = probe(&server, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("not ready: database unreachable"),
        "{body}"
    );
    // The probe did not create an empty database in its place.
    assert!(!db.exists());
    assert_eq!(probe(&server, "/healthz").await.0, 200);
}
