//! Versioned migrations, applied in order on open.
//!
//! Each backend has a list of `(version, name, sql)` compiled into the binary; the
//! `schema_migrations` table records what was applied. A database newer than the
//! binary (a version it does not know) is refused rather than silently used.

/// One migration step.
pub struct Migration {
    /// Strictly increasing version.
    pub version: i64,
    /// Short description.
    pub name: &'static str,
    /// The SQL, possibly several statements.
    pub sql: &'static str,
}

/// SQLite migrations.
pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "federation core",
        sql: include_str!("../../migrations/sqlite/0001_federation_core.sql"),
    },
    Migration {
        version: 2,
        name: "durable delivery",
        sql: include_str!("../../migrations/sqlite/0002_delivery.sql"),
    },
    Migration {
        version: 3,
        name: "claim indexes",
        sql: include_str!("../../migrations/sqlite/0003_claim_index.sql"),
    },
    Migration {
        version: 4,
        name: "registry watching",
        sql: include_str!("../../migrations/sqlite/0004_watch.sql"),
    },
    Migration {
        version: 5,
        name: "security advisories",
        sql: include_str!("../../migrations/sqlite/0005_advisories.sql"),
    },
    Migration {
        version: 6,
        name: "domain blocks",
        sql: include_str!("../../migrations/sqlite/0006_domain_blocks.sql"),
    },
    Migration {
        version: 7,
        name: "cluster leases",
        sql: include_str!("../../migrations/sqlite/0007_cluster.sql"),
    },
];

/// PostgreSQL migrations: the same versions and names as [`SQLITE`], so the schema
/// checks (`/readyz`, refusing a newer database) read the same on both backends.
pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "federation core",
        sql: include_str!("../../migrations/postgres/0001_federation_core.sql"),
    },
    Migration {
        version: 2,
        name: "durable delivery",
        sql: include_str!("../../migrations/postgres/0002_delivery.sql"),
    },
    Migration {
        version: 3,
        name: "claim indexes",
        sql: include_str!("../../migrations/postgres/0003_claim_index.sql"),
    },
    Migration {
        version: 4,
        name: "registry watching",
        sql: include_str!("../../migrations/postgres/0004_watch.sql"),
    },
    Migration {
        version: 5,
        name: "security advisories",
        sql: include_str!("../../migrations/postgres/0005_advisories.sql"),
    },
    Migration {
        version: 6,
        name: "domain blocks",
        sql: include_str!("../../migrations/postgres/0006_domain_blocks.sql"),
    },
    Migration {
        version: 7,
        name: "cluster leases",
        sql: include_str!("../../migrations/postgres/0007_cluster.sql"),
    },
];

/// Why a database whose applied versions are `applied` is not at the schema of
/// `migrations`, or `None` when it is.
pub fn schema_mismatch(migrations: &[Migration], applied: &[i64]) -> Option<String> {
    let known = migrations.last().map(|m| m.version).unwrap_or_default();
    if let Some(newest) = applied.iter().copied().filter(|v| *v > known).max() {
        return Some(format!(
            "the database is at schema version {newest} but this pkgfed knows only up to {known}: upgrade pkgfed"
        ));
    }
    let missing: Vec<String> = migrations
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| format!("{} ({})", m.version, m.name))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the database lacks migrations {}: restart pkgfed to apply them",
            missing.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_names_what_to_do() {
        let all: Vec<i64> = SQLITE.iter().map(|m| m.version).collect();
        assert_eq!(schema_mismatch(SQLITE, &all), None);
        let older = schema_mismatch(SQLITE, &all[..all.len() - 1]).unwrap_or_default();
        assert!(
            older.contains("lacks migrations") && older.contains("restart"),
            "{older}"
        );
        let mut newer = all.clone();
        newer.push(all.len() as i64 + 1);
        let newer = schema_mismatch(SQLITE, &newer).unwrap_or_default();
        assert!(newer.contains("upgrade pkgfed"), "{newer}");
    }

    #[test]
    fn backends_share_versions_and_names() {
        let key = |m: &Migration| (m.version, m.name);
        let sqlite: Vec<_> = SQLITE.iter().map(key).collect();
        let postgres: Vec<_> = POSTGRES.iter().map(key).collect();
        assert_eq!(sqlite, postgres);
    }
}
