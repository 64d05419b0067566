//! The watch bench's setup: the packages, their publications on the fixture registry,
//! the followers' inbox servers, the seeded database and the `pkgfed` process.

use super::*;
/// One watched package.
#[derive(Clone, Debug)]
pub(super) struct Pkg {
    pub(super) eco: Ecosystem,
    pub(super) id: PackageId,
    pub(super) handle: String,
    /// The fixture path its check reads.
    pub(super) path: String,
}

pub(super) fn packages(n: usize) -> Result<Vec<Pkg>> {
    (0..n)
        .map(|i| {
            let eco = ECOSYSTEMS[i % 3];
            let j = i / 3;
            // Cargo keys spell `-` as `_`, PyPI keys `_` as `-`: use the key form.
            let name = match i % 3 {
                0 => format!("bench_cargo_{j:05}"),
                1 => format!("bench-npm-{j:05}"),
                _ => format!("bench-pypi-{j:05}"),
            };
            let id = PackageId::new(eco, &name).context("invalid bench package name")?;
            let path = match i % 3 {
                0 => format!("/cargo/index/{}", index_path(&name)),
                1 => format!("/npm/{name}"),
                _ => format!("/pypi/pypi/{name}/json"),
            };
            Ok(Pkg {
                eco,
                handle: handle::to_handle(&id, false),
                id,
                path,
            })
        })
        .collect()
}

pub(super) use crate::db::now_unix;

/// Publishes `version` of `p` on the fixture, published at `unix`.
pub(super) fn publish(fixture: &FixtureRegistry, p: &Pkg, version: &str, unix: i64) {
    fixture.edit(|r| publish_in(r, p, version, unix));
}

pub(super) fn publish_in(r: &mut RegistryEditor<'_>, p: &Pkg, version: &str, unix: i64) {
    // Not a `match` on the ecosystem: the bench knows only these three.
    if p.eco == Ecosystem::Cargo {
        r.cargo_publish(p.id.name(), version, Some(unix));
    } else if p.eco == Ecosystem::Npm {
        r.npm_publish(p.id.name(), version, unix);
    } else {
        r.pypi_publish(p.id.name(), version, unix);
    }
}

// ---------------------------------------------------------------------------------
// Inbox servers

/// What the inbox servers saw.
#[derive(Default)]
pub(super) struct Inboxes {
    /// First arrival of each (handle, version) release Create.
    pub(super) releases: Mutex<HashMap<(String, String), Instant>>,
    /// Every POST.
    pub(super) posts: AtomicU64,
    /// POSTs that were not a release `Create` (or whose content did not name the
    /// version).
    pub(super) other: AtomicU64,
}

/// `(handle, version)` of a release `Create` whose Note names the version.
pub(super) fn release_of(body: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if v["type"] != "Create" {
        return None;
    }
    let id = v["object"]["id"].as_str()?;
    let rest = id.split_once("/packages/")?.1;
    let (handle, version) = rest.split_once("/releases/")?;
    let content = v["object"]["content"].as_str().unwrap_or_default();
    content
        .contains(version)
        .then(|| (handle.to_owned(), version.to_owned()))
}

pub(super) async fn inbox_post(State(inboxes): State<Arc<Inboxes>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    inboxes.posts.fetch_add(1, Ordering::Relaxed);
    match release_of(&body) {
        Some(key) => {
            inboxes
                .releases
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key)
                .or_insert(now);
        }
        None => {
            inboxes.other.fetch_add(1, Ordering::Relaxed);
        }
    }
    StatusCode::ACCEPTED
}

pub(super) async fn start_inboxes(n: usize, inboxes: &Arc<Inboxes>) -> Result<Vec<u16>> {
    let mut ports = Vec::with_capacity(n);
    for _ in 0..n {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind an inbox server")?;
        ports.push(listener.local_addr()?.port());
        let app = Router::new()
            .fallback(inbox_post)
            .with_state(inboxes.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    Ok(ports)
}

// ---------------------------------------------------------------------------------
// Database

pub(super) async fn connect(database_url: &str) -> Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("bad database URL {database_url}"))?
        .foreign_keys(true);
    SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open {database_url}"))
}

/// Migrates a fresh database and inserts the packages (one shared key) and one
/// follower each, in one transaction.
pub(super) async fn seed_db(database_url: &str, pkgs: &[Pkg], inbox_ports: &[u16]) -> Result<()> {
    // Opening the store creates and migrates the file.
    drop(
        pkgfed::store::open(database_url)
            .await
            .context("cannot create the database")?,
    );
    let keys = crate::db::shared_key()?;
    let now = now_unix();
    let mut conn = connect(database_url).await?;
    let mut tx = conn.begin().await?;
    for (i, p) in pkgs.iter().enumerate() {
        let row = (i + 1) as i64;
        let description = "Watched by the registry watcher benchmark";
        crate::db::insert_package(&mut tx, row, &p.id, &p.handle, description, &keys, now).await?;
        let host = format!("http://127.0.0.1:{}", inbox_ports[i % inbox_ports.len()]);
        crate::db::insert_follower(&mut tx, row, &crate::db::follower_on(&host, i), now).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Per ecosystem: tracked packages, of which with a baseline.
pub(super) async fn baseline_counts(pool: &SqlitePool) -> Result<HashMap<String, (i64, i64)>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT ecosystem, COUNT(*), COALESCE(SUM(baseline_done), 0) FROM watches WHERE tracked = 1 GROUP BY ecosystem",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(e, n, b)| (e, (n, b))).collect())
}

/// Per ecosystem, from the schedule: checks per second the intervals ask for, and
/// packages due now (the backlog).
pub(super) async fn schedule_demand(pool: &SqlitePool) -> Result<HashMap<String, (f64, i64)>> {
    let now_ms = now_unix() * 1000;
    let rows: Vec<(String, f64, i64)> = sqlx::query_as(
        "SELECT ecosystem, SUM(1000.0 / MAX(interval_ms, 1)), SUM(next_check_at <= ?) FROM watches WHERE tracked = 1 GROUP BY ecosystem",
    )
    .bind(now_ms)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(e, d, b)| (e, (d, b))).collect())
}

// ---------------------------------------------------------------------------------
// The pkgfed process

// ---------------------------------------------------------------------------------
// Reporting helpers

/// The environment `pkgfed serve` runs with: every registry on the fixture, the
/// watcher's intervals and rates scaled, PyPI's change feed in feed mode.
pub(super) fn server_env(
    scaled: &Scaled,
    fixture: &FixtureRegistry,
    feed: bool,
) -> Vec<(String, String)> {
    let mut env: Vec<(&str, String)> = vec![
        ("PKGFED_WATCH_ENABLED", "true".into()),
        ("PKGFED_PACKAGES_ECOSYSTEMS", "cargo,npm,pypi".into()),
        ("PKGFED_WATCH_INTERVAL_SECONDS", scaled.interval.to_string()),
        (
            "PKGFED_WATCH_MIN_INTERVAL_SECONDS",
            scaled.min_interval.to_string(),
        ),
        (
            "PKGFED_WATCH_MAX_INTERVAL_SECONDS",
            scaled.max_interval.to_string(),
        ),
        ("PKGFED_CARGO_INDEX_URL", fixture.cargo_index_url().into()),
        ("PKGFED_CARGO_REQUESTS_PER_SECOND", scaled.rps.to_string()),
        ("PKGFED_NPM_REGISTRY_URL", fixture.npm_url().into()),
        ("PKGFED_NPM_REQUESTS_PER_SECOND", scaled.rps.to_string()),
        ("PKGFED_PYPI_URL", fixture.pypi_url().into()),
        ("PKGFED_PYPI_REQUESTS_PER_SECOND", scaled.rps.to_string()),
    ];
    if feed {
        env.push((
            "PKGFED_PYPI_UPDATES_FEED_URL",
            fixture.pypi_updates_url().into(),
        ));
        env.push((
            "PKGFED_PYPI_UPDATES_FEED_INTERVAL_SECONDS",
            scaled.feed_interval.to_string(),
        ));
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `samples` distinct packages, drawn in turn from each registry.
pub(super) fn pick_samples(samples: usize, packages: usize) -> Vec<usize> {
    let mut chosen = Vec::with_capacity(samples);
    let mut seen = HashSet::new();
    let mut draw = 0u64;
    while chosen.len() < samples {
        let eco = chosen.len() % 3;
        let j = (mix(draw) % (packages as u64 / 3)) as usize;
        draw += 1;
        let i = j * 3 + eco;
        if i < packages && seen.insert(i) {
            chosen.push(i);
        }
    }
    chosen
}
