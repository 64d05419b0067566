//! PostgreSQL for the benches: a fresh database per run (created on the server the
//! operator names, dropped afterwards), bulk seeding of followers while no worker
//! runs, delivery counts, and the CPU of the server's processes from /proc.
//!
//! The schema is pkgfed's (crates/pkgfed/migrations/postgres/), created by running
//! pkgfed on the new database before anything here writes to it.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use crate::db::{FollowerRow, now_unix};
use crate::server::cpu_time_of;

async fn connect(url: &str) -> Result<PgConnection> {
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("bad database URL {}", pkgfed::store::redacted_url(url)))?;
    PgConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot connect to {}", pkgfed::store::redacted_url(url)))
}

/// A database created for one run on the server of `admin_url`.
pub struct TempDatabase {
    /// Where the database was created from (and is dropped from).
    admin_url: String,
    /// Its name (`pkgfed_fanout_<pid>_<ms>`).
    pub name: String,
    /// `admin_url` with the path replaced by `/name`: what pkgfed is given.
    pub url: String,
}

impl TempDatabase {
    /// Creates `<prefix>_<pid>_<ms>` through `admin_url` (any database the role may
    /// connect to; the role needs CREATEDB).
    pub async fn create(admin_url: &str, prefix: &str) -> Result<Self> {
        let mut url = url::Url::parse(admin_url).with_context(|| {
            format!(
                "bad database URL {}",
                pkgfed::store::redacted_url(admin_url)
            )
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            bail!("--database-url must be postgres://user:password@host:port/database");
        }
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let name = format!("{prefix}_{}_{ms}", std::process::id());
        let mut conn = connect(admin_url).await?;
        // A generated identifier (letters, digits, underscores): no quoting needed.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| {
                format!("cannot create database {name} (does the role have CREATEDB?)")
            })?;
        conn.close().await?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_now(&self) -> Result<()> {
        let mut conn = connect(&self.admin_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await
        .with_context(|| format!("cannot drop database {}", self.name))?;
        conn.close().await?;
        Ok(())
    }
}

/// Inserts `rows` as followers of the package with `handle` in one statement;
/// returns the package's store id. The same rows as `db::seed_followers` writes
/// into a SQLite file.
pub async fn seed_followers(database_url: &str, handle: &str, rows: &[FollowerRow]) -> Result<i64> {
    let mut conn = connect(database_url).await?;
    let package_id: i64 = sqlx::query_scalar("SELECT id FROM packages WHERE handle = $1")
        .bind(handle)
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("no package {handle}"))?;
    let actors: Vec<&str> = rows.iter().map(|r| r.actor_id.as_str()).collect();
    let inboxes: Vec<&str> = rows.iter().map(|r| r.inbox.as_str()).collect();
    let shared: Vec<Option<&str>> = rows.iter().map(|r| r.shared_inbox.as_deref()).collect();
    let follows: Vec<&str> = rows.iter().map(|r| r.follow_id.as_str()).collect();
    sqlx::query(
        "INSERT INTO followers (package_id, actor_id, inbox, shared_inbox, follow_id, created_at) \
         SELECT $1, a, i, s, f, $2 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[]) AS t(a, i, s, f)",
    )
    .bind(package_id)
    .bind(now_unix())
    .bind(&actors)
    .bind(&inboxes)
    .bind(&shared)
    .bind(&follows)
    .execute(&mut conn)
    .await
    .context("cannot insert the followers (is the database migrated?)")?;
    conn.close().await?;
    Ok(package_id)
}

/// One connection kept open for repeated counting (a fresh connection per count
/// would fork a backend each time and add to the PostgreSQL CPU being measured).
pub struct Counter(PgConnection);

impl Counter {
    /// Connects to `database_url`.
    pub async fn open(database_url: &str) -> Result<Self> {
        Ok(Self(connect(database_url).await?))
    }

    /// Deliveries still pending or in flight.
    pub async fn open_deliveries(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'in_flight')",
        )
        .fetch_one(&mut self.0)
        .await?)
    }

    /// Deliveries per state, as `state=count` pairs (as `db::delivery_states`).
    pub async fn delivery_states(&mut self) -> Result<String> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM deliveries GROUP BY state ORDER BY state")
                .fetch_all(&mut self.0)
                .await?;
        Ok(rows
            .iter()
            .map(|(s, n)| format!("{s}={n}"))
            .collect::<Vec<_>>()
            .join(" "))
    }
}

/// Whose work a `postgres` process does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    /// A client backend connected to the run's database.
    Ours,
    /// The postmaster and the server-wide helpers (WAL writer, checkpointer,
    /// background writer, autovacuum): shared by every database, counted.
    Server,
    /// A client backend of another database (other users of the server): noise.
    Other,
}

/// The class of the process with `cmdline` (NUL-separated), or `None` when it is
/// not a PostgreSQL process. Client backends are titled
/// `postgres: USER DATABASE HOST(PORT) STATE` (or `[local]` for a socket).
fn class_of(comm: &str, cmdline: &str, database: &str) -> Option<Class> {
    if comm.trim() != "postgres" {
        return None;
    }
    let title = cmdline.replace('\0', " ");
    let Some(rest) = title.trim().strip_prefix("postgres: ") else {
        return Some(Class::Server);
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let client = words
        .get(2)
        .is_some_and(|w| *w == "[local]" || (w.contains('(') && w.ends_with(')')));
    Some(match (client, words.get(1)) {
        (true, Some(db)) if *db == database => Class::Ours,
        (true, _) => Class::Other,
        (false, _) => Class::Server,
    })
}

/// CPU time of every PostgreSQL process now, by pid.
fn sample(database: &str) -> HashMap<u32, (Class, Duration)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if let Some(class) = class_of(&comm, &cmdline, database)
            && let Ok(cpu) = cpu_time_of(&pid.to_string())
        {
            out.insert(pid, (class, cpu));
        }
    }
    out
}

/// PostgreSQL's CPU over a span, by whose work it was.
#[derive(Clone, Copy, Debug, Default)]
pub struct PgCpu {
    /// Backends connected to the run's database.
    pub ours: Duration,
    /// Postmaster, WAL writer, checkpointer, background writer, autovacuum.
    pub server: Duration,
    /// Backends of other databases (not the run's; left out of the totals).
    pub other: Duration,
}

impl PgCpu {
    /// What the run cost PostgreSQL: its backends and the server-wide helpers.
    pub fn counted(&self) -> Duration {
        self.ours + self.server
    }
}

/// PostgreSQL CPU counters at the start of a span. Best effort: a process that
/// exits during the span takes its CPU with it, and the helpers also work for
/// other databases.
pub struct PgCpuProbe {
    database: String,
    start: HashMap<u32, (Class, Duration)>,
}

impl PgCpuProbe {
    /// Reads the counters of every `postgres` process now.
    pub fn start(database: &str) -> Self {
        Self {
            database: database.to_owned(),
            start: sample(database),
        }
    }

    /// The CPU used since [`PgCpuProbe::start`] (processes started since count from 0).
    pub fn finish(&self) -> PgCpu {
        let mut cpu = PgCpu::default();
        for (pid, (class, now)) in sample(&self.database) {
            let before = self.start.get(&pid).map(|(_, d)| *d).unwrap_or_default();
            let used = now.saturating_sub(before);
            match class {
                Class::Ours => cpu.ours += used,
                Class::Server => cpu.server += used,
                Class::Other => cpu.other += used,
            }
        }
        cpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_are_classed_by_their_title() {
        let db = "pkgfed_fanout_1_2";
        let ours = "postgres: bench pkgfed_fanout_1_2 127.0.0.1(40000) idle\0\0";
        assert_eq!(class_of("postgres\n", ours, db), Some(Class::Ours));
        let other = "postgres: bench other 127.0.0.1(40001) SELECT";
        assert_eq!(class_of("postgres\n", other, db), Some(Class::Other));
        let socket = "postgres: bench pkgfed_fanout_1_2 [local] idle";
        assert_eq!(class_of("postgres\n", socket, db), Some(Class::Ours));
        assert_eq!(
            class_of("postgres\n", "postgres: walwriter   ", db),
            Some(Class::Server)
        );
        let postmaster = "/usr/lib/postgresql/15/bin/postgres\0-D\0/data\0";
        assert_eq!(class_of("postgres\n", postmaster, db), Some(Class::Server));
        assert_eq!(class_of("bash\n", ours, db), None);
    }
}
