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
];
