//! Direct access to pkgfed's SQLite file while no server runs: row counts and bulk
//! seeding (schema: crates/pkgfed/migrations/sqlite/0001_federation_core.sql).

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use pkgfed::store::delivery::{Audience, NewOutbound};
use pkgfed_registries::{Ecosystem, PackageId, handle};
use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

async fn open(database_url: &str) -> Result<SqliteConnection> {
    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("bad database URL {database_url}"))?
        .foreign_keys(true);
    SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open {database_url}"))
}

/// A shared RSA key pair as PEM (private PKCS#8, public SPKI) for seeded packages:
/// generating thousands of keys would dominate a benchmark.
pub fn shared_key() -> Result<(String, String)> {
    let key = pkgfed_protocol::keys::RsaPrivateKey::generate()
        .context("cannot generate the shared package key")?;
    Ok((key.to_pkcs8_pem(), key.public_key_pem()))
}

/// Inserts the package `id` with store id `row` and actor handle `handle`.
pub async fn insert_package(
    conn: &mut SqliteConnection,
    row: i64,
    id: &PackageId,
    handle: &str,
    description: &str,
    (private_pem, public_pem): &(String, String),
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO packages (id, ecosystem, name_key, name, handle, purl, description, private_key_pem, public_key_pem, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row)
    .bind(id.ecosystem().as_str())
    .bind(id.key())
    .bind(id.name())
    .bind(handle)
    .bind(id.purl())
    .bind(description)
    .bind(private_pem)
    .bind(public_pem)
    .bind(now)
    .execute(conn)
    .await
    .context("cannot insert a package (is the database migrated and empty?)")?;
    Ok(())
}

/// Inserts `follower` as a follower of the package with store id `package_id`.
pub async fn insert_follower(
    conn: &mut SqliteConnection,
    package_id: i64,
    follower: &FollowerRow,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO followers (package_id, actor_id, inbox, shared_inbox, follow_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(package_id)
    .bind(&follower.actor_id)
    .bind(&follower.inbox)
    .bind(&follower.shared_inbox)
    .bind(&follower.follow_id)
    .bind(now)
    .execute(conn)
    .await
    .context("cannot insert a follower")?;
    Ok(())
}

/// The follower `u{i}` on `host`, with its own and the host's shared inbox.
pub fn follower_on(host: &str, i: usize) -> FollowerRow {
    let actor = format!("{host}/users/u{i}");
    FollowerRow {
        inbox: format!("{actor}/inbox"),
        shared_inbox: Some(format!("{host}/inbox")),
        follow_id: format!("{host}/follows/{i}"),
        actor_id: actor,
    }
}

/// The current time in Unix seconds.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A seeded package: its handle and store id.
#[derive(Clone, Debug)]
pub struct SeededPackage {
    /// The actor handle (`cargo.bench-pkg-00001`).
    pub handle: String,
}

/// What was seeded.
#[derive(Debug)]
pub struct Seeded {
    /// Packages, in id order (ids 1..=n).
    pub packages: Vec<SeededPackage>,
    /// How many packages have the large follower lists.
    pub popular: usize,
}

/// Inserts `packages` cargo packages (all sharing one RSA key: generating thousands
/// of keys would dominate the benchmark) and `followers` follow rows from distinct
/// remote actors on 100 remote hosts, in one transaction.
///
/// Followers are skewed as on a real instance: half of them follow the first ten
/// packages (so those have long, multi-page followers collections), the other half
/// are spread evenly over all packages. `single_ecosystem` must match the server's
/// `packages.ecosystems` (handles carry the `cargo.` prefix unless it is the only one).
pub async fn seed(
    database_url: &str,
    packages: usize,
    followers: usize,
    single_ecosystem: bool,
) -> Result<Seeded> {
    let keys = shared_key()?;
    let now = now_unix();
    let mut conn = open(database_url).await?;
    let mut tx = conn.begin().await?;
    let mut seeded = Vec::with_capacity(packages);
    for i in 0..packages {
        let id = PackageId::new(Ecosystem::Cargo, &format!("bench-pkg-{i:05}"))
            .context("invalid seeded package name")?;
        let h = handle::to_handle(&id, single_ecosystem);
        let description = format!("Seeded package {i} for the memory benchmark");
        insert_package(&mut tx, (i + 1) as i64, &id, &h, &description, &keys, now).await?;
        seeded.push(SeededPackage { handle: h });
    }
    let popular = packages.min(10);
    for i in 0..followers {
        let package = if i % 2 == 0 && popular > 0 {
            (i / 2) % popular
        } else {
            (i / 2) % packages.max(1)
        };
        let host = format!("https://f{:02}.example", i % 100);
        insert_follower(&mut tx, (package + 1) as i64, &follower_on(&host, i), now).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(Seeded {
        packages: seeded,
        popular,
    })
}

/// One follow row to insert.
#[derive(Clone, Debug)]
pub struct FollowerRow {
    /// The follower's actor id.
    pub actor_id: String,
    /// Its inbox.
    pub inbox: String,
    /// Its shared inbox, if any.
    pub shared_inbox: Option<String>,
    /// Id of the Follow activity.
    pub follow_id: String,
}

/// Inserts `rows` as followers of the package with `handle`, in one transaction;
/// returns the package's store id.
pub async fn seed_followers(database_url: &str, handle: &str, rows: &[FollowerRow]) -> Result<i64> {
    let now = now_unix();
    let mut conn = open(database_url).await?;
    let package_id: i64 = sqlx::query_scalar("SELECT id FROM packages WHERE handle = ?")
        .bind(handle)
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("no package {handle}"))?;
    let mut tx = conn.begin().await?;
    for r in rows {
        insert_follower(&mut tx, package_id, r, now).await?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(package_id)
}

/// Gives the package with `handle` a realistic history for its page: `n` versions
/// (published a day apart, the newest announced with a post id, every 25th a
/// prerelease, one deprecated, one yanked) and `followers` followers on 10 hosts.
pub async fn seed_history(
    database_url: &str,
    handle: &str,
    n: usize,
    followers: usize,
) -> Result<()> {
    let rows: Vec<FollowerRow> = (0..followers)
        .map(|i| follower_on(&format!("f{}.test", i % 10), i))
        .collect();
    let package_id = seed_followers(database_url, handle, &rows).await?;
    let now = now_unix();
    let mut conn = open(database_url).await?;
    let mut tx = conn.begin().await?;
    for i in 0..n {
        let newest = i + 10 >= n;
        let version = if i % 25 == 24 {
            format!("1.{}.0-rc.1", i / 10)
        } else {
            format!("1.{}.{}", i / 10, i % 10)
        };
        let state = match i {
            _ if i + 3 == n => "yanked",
            _ if newest => "announced",
            _ => "baseline",
        };
        let note_id =
            newest.then(|| format!("https://bench.test/packages/{handle}/releases/{version}"));
        let published = now - ((n - i) as i64) * 86_400;
        sqlx::query(
            "INSERT INTO releases (package_id, version, state, prerelease, deprecated, note_id, posts_made, published_at, seen_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(package_id)
        .bind(&version)
        .bind(state)
        .bind(i64::from(version.contains('-')))
        .bind((i + 5 == n).then_some("use 1.x latest"))
        .bind(note_id)
        .bind(i64::from(newest))
        .bind(published)
        .bind(published * 1000)
        .execute(&mut *tx)
        .await
        .context("cannot insert a release")?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Deliveries still pending or in flight.
pub async fn open_deliveries(database_url: &str) -> Result<i64> {
    let mut conn = open(database_url).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'in_flight')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(n)
}

/// Deliveries per state, as `state=count` pairs.
pub async fn delivery_states(database_url: &str) -> Result<String> {
    let mut conn = open(database_url).await?;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM deliveries GROUP BY state ORDER BY state")
            .fetch_all(&mut conn)
            .await?;
    conn.close().await?;
    Ok(rows
        .iter()
        .map(|(s, n)| format!("{s}={n}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// A public `Create{Note}` by the package `actor` (store id `package_id`) with the
/// Note id `post_id` and `content`, queued to the package's followers: what a release
/// post is to the outbox, for the delivery benchmarks to pass to `Store::publish`.
pub fn create_to_followers(
    actor: &str,
    package_id: i64,
    post_id: &str,
    content: &str,
) -> (NewOutbound, Audience) {
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{post_id}/activity"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers")],
        "object": {
            "id": post_id,
            "type": "Note",
            "attributedTo": actor,
            "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{actor}/followers")],
        },
    });
    let outbound = NewOutbound {
        activity_id: format!("{post_id}/activity"),
        actor_id: actor.to_owned(),
        package_id: Some(package_id),
        kind: "Create".into(),
        activity: activity.to_string(),
    };
    let audience = Audience {
        followers_of: Some(package_id),
        ..Audience::default()
    };
    (outbound, audience)
}
