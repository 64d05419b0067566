//! A fresh database per test on either backend, so one test body runs against SQLite
//! and against PostgreSQL ([`both_backends!`](crate::both_backends)).
//!
//! SQLite: a file in a temporary directory. PostgreSQL: a database of its own,
//! `pkgfed_t_<random>`, created through the server named by
//! `PKGFED_TEST_POSTGRES_URL` (a role with CREATEDB; `.ci/run` starts one) and
//! dropped when the test ends. Without that variable the PostgreSQL tests fail under
//! `CI=true` and, elsewhere, print a notice and pass without running.

use pkgfed::store::{self, SharedStore};
use sqlx::Connection;

/// Names the PostgreSQL server the tests create their databases on.
pub const POSTGRES_URL_VAR: &str = "PKGFED_TEST_POSTGRES_URL";

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
pub struct TestDb {
    /// What `storage.database_url` would be.
    pub url: String,
    pub backend: Backend,
    /// PostgreSQL: the server URL and the database to drop at the end.
    drop_on: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh, empty database on `backend`; `None` (after a notice) when PostgreSQL
    /// is not configured outside CI.
    pub async fn fresh(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Some(Self {
                    url: format!("sqlite://{}", dir.path().join("t.db").display()),
                    backend,
                    drop_on: None,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => Some(Self::fresh_on_postgres(postgres_server()?).await),
        }
    }

    /// A fresh database on the PostgreSQL server `server` (a URL whose role has
    /// CREATEDB; its query string, e.g. TLS settings, is kept in [`TestDb::url`]).
    pub async fn fresh_on_postgres(server: String) -> Self {
        let name = format!("pkgfed_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to the test PostgreSQL server ({}): {e}",
                    store::redacted_url(&server)
                )
            });
        // `name` is ours: letters, digits and underscores only.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot create a test database (the role needs CREATEDB): {e}")
            });
        let _ = conn.close().await;
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        Self {
            url: url.to_string(),
            backend: Backend::Postgres,
            drop_on: Some((server, name)),
            _dir: None,
        }
    }

    /// Opens (and migrates) the store on this database.
    pub async fn open(&self) -> SharedStore {
        store::open(&self.url).await.unwrap()
    }

    /// Runs raw SQL on the database (what another program, or a newer pkgfed, might
    /// have done to it).
    pub async fn execute(&self, sql: &'static str) {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.drop_on.take() else {
            return;
        };
        // Drop may run inside the test's runtime: drop the database from a thread
        // with a runtime of its own. FORCE ends the store's pooled connections.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let mut conn = sqlx::PgConnection::connect(&server).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database: {dropped:?}");
        }
    }
}

/// The PostgreSQL server URL, or `None` after a loud notice (outside CI only).
fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "PostgreSQL tests need {POSTGRES_URL_VAR} (a role with CREATEDB, e.g. \
             postgres://pkgfed_test:pkgfed_test@127.0.0.1:54329/postgres); .ci/run starts one"
        ),
        _ => {
            eprintln!(
                "\n*** NOT RUN: this PostgreSQL test needs {POSTGRES_URL_VAR} (see README, \"Tests\"). ***\n"
            );
            None
        }
    }
}

/// Runs each named `async fn(TestDb)` as two tests, `sqlite::<name>` and
/// `postgres::<name>`, each on a fresh database of that backend. A leading
/// `multi_thread;` runs them on tokio's multi-threaded runtime (two workers).
#[macro_export]
macro_rules! both_backends {
    (multi_thread; $($name:ident),+ $(,)?) => {
        $crate::both_backends!(@emit (flavor = "multi_thread", worker_threads = 2) $($name),+);
    };
    ($($name:ident),+ $(,)?) => {
        $crate::both_backends!(@emit () $($name),+);
    };
    (@emit $flavor:tt $($name:ident),+) => {
        mod sqlite {
            $(
                #[tokio::test $flavor]
                async fn $name() {
                    let db = $crate::common::db::TestDb::fresh($crate::common::db::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$name(db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test $flavor]
                async fn $name() {
                    if let Some(db) =
                        $crate::common::db::TestDb::fresh($crate::common::db::Backend::Postgres).await
                    {
                        super::$name(db).await;
                    }
                }
            )+
        }
    };
}

/// A value bound to a [`Raw`] statement.
#[derive(Clone, Debug)]
pub enum Val {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    /// A flag column: INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL.
    Flag(bool),
}

/// Direct SQL on a test database, for tests that set up or read rows the store's
/// interface does not expose. Statements use numbered parameters (`?1`, `?2`, …;
/// sent as `$1`, `$2`, … to PostgreSQL) and SQL both backends understand (`json_array`
/// is sent to PostgreSQL as `json_build_array`).
pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_sqlite<'q>(mut q: SqliteQuery<'q>, args: &[Val]) -> SqliteQuery<'q> {
    for a in args {
        q = match a.clone() {
            Val::Int(v) => q.bind(v),
            Val::OptInt(v) => q.bind(v),
            Val::Text(v) => q.bind(v),
            Val::Flag(v) => q.bind(i64::from(v)),
        };
    }
    q
}

fn bind_pg<'q>(mut q: PgQuery<'q>, args: &[Val]) -> PgQuery<'q> {
    for a in args {
        q = match a.clone() {
            Val::Int(v) => q.bind(v),
            Val::OptInt(v) => q.bind(v),
            Val::Text(v) => q.bind(v),
            Val::Flag(v) => q.bind(v),
        };
    }
    q
}

/// `sql` as PostgreSQL reads it.
fn for_postgres(sql: &str) -> String {
    sql.replace('?', "$")
        .replace("json_array(", "json_build_array(")
}

impl Raw {
    pub async fn connect(db: &TestDb) -> Self {
        match db.backend {
            Backend::Sqlite => Self::Sqlite(sqlx::SqlitePool::connect(&db.url).await.unwrap()),
            Backend::Postgres => Self::Postgres(sqlx::PgPool::connect(&db.url).await.unwrap()),
        }
    }

    /// Runs each statement with its arguments, all in one transaction.
    pub async fn batch(&self, statements: &[(&'static str, Vec<Val>)]) {
        match self {
            Self::Sqlite(pool) => {
                let mut tx = pool.begin().await.unwrap();
                for (sql, args) in statements {
                    bind_sqlite(sqlx::query(*sql), args)
                        .execute(&mut *tx)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                }
                tx.commit().await.unwrap();
            }
            Self::Postgres(pool) => {
                let mut tx = pool.begin().await.unwrap();
                for (sql, args) in statements {
                    let text = for_postgres(sql);
                    bind_pg(sqlx::query(sqlx::AssertSqlSafe(text)), args)
                        .execute(&mut *tx)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                }
                tx.commit().await.unwrap();
            }
        }
    }

    /// Runs one statement.
    pub async fn execute(&self, sql: &'static str, args: Vec<Val>) {
        self.batch(&[(sql, args)]).await;
    }

    /// The first column of every row, as integers.
    pub async fn ints(&self, sql: &'static str, args: &[Val]) -> Vec<i64> {
        match self {
            Self::Sqlite(pool) => {
                let mut q = sqlx::query_scalar(sql);
                for a in args {
                    q = match a.clone() {
                        Val::Int(v) => q.bind(v),
                        Val::OptInt(v) => q.bind(v),
                        Val::Text(v) => q.bind(v),
                        Val::Flag(v) => q.bind(i64::from(v)),
                    };
                }
                q.fetch_all(pool).await.unwrap()
            }
            Self::Postgres(pool) => {
                let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(for_postgres(sql)));
                for a in args {
                    q = match a.clone() {
                        Val::Int(v) => q.bind(v),
                        Val::OptInt(v) => q.bind(v),
                        Val::Text(v) => q.bind(v),
                        Val::Flag(v) => q.bind(v),
                    };
                }
                q.fetch_all(pool).await.unwrap()
            }
        }
    }

    /// The first column of every row, as text.
    pub async fn texts(&self, sql: &'static str) -> Vec<String> {
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
            Self::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(for_postgres(sql)))
                .fetch_all(pool)
                .await
                .unwrap(),
        }
    }
}
