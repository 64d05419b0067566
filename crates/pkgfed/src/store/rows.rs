//! Reading result rows into the model types, written once for both backends.
//!
//! A backend's row type implements [`Columns`]; the only difference between the two
//! is how a flag is stored (`INTEGER` 0/1 on SQLite, `BOOLEAN` on PostgreSQL). The
//! mappings below then serve both, so a column added to a model type is read the
//! same way everywhere. The SQL that selects the columns stays per backend.

use std::str::FromStr;

use pkgfed_registries::Ecosystem;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::store::advisory::StoredAdvisory;
use crate::store::delivery::DeliveryReport;
use crate::store::{
    CachedKey, Counts, Follower, OutboxItem, Package, PackageMeta, StoreError, StoreResult,
};

/// Typed access to a row's columns by name. Like [`Row::get`], a missing column or
/// a type mismatch panics: the SQL beside each call names the columns it reads.
pub(crate) trait Columns {
    fn int(&self, column: &str) -> i64;
    fn opt_int(&self, column: &str) -> Option<i64>;
    fn text(&self, column: &str) -> String;
    fn opt_text(&self, column: &str) -> Option<String>;
    fn flag(&self, column: &str) -> bool;
}

impl Columns for SqliteRow {
    fn int(&self, column: &str) -> i64 {
        self.get(column)
    }
    fn opt_int(&self, column: &str) -> Option<i64> {
        self.get(column)
    }
    fn text(&self, column: &str) -> String {
        self.get(column)
    }
    fn opt_text(&self, column: &str) -> Option<String> {
        self.get(column)
    }
    fn flag(&self, column: &str) -> bool {
        self.get::<i64, _>(column) != 0
    }
}

impl Columns for PgRow {
    fn int(&self, column: &str) -> i64 {
        self.get(column)
    }
    fn opt_int(&self, column: &str) -> Option<i64> {
        self.get(column)
    }
    fn text(&self, column: &str) -> String {
        self.get(column)
    }
    fn opt_text(&self, column: &str) -> Option<String> {
        self.get(column)
    }
    fn flag(&self, column: &str) -> bool {
        self.get(column)
    }
}

/// A list stored as a JSON array (recipients, ids).
pub(crate) fn json_list(v: &[String]) -> StoreResult<String> {
    serde_json::to_string(v).map_err(StoreError::Json)
}

/// A list read back from a JSON array; empty when unreadable.
pub(crate) fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// A `packages` row (all its columns); an unknown ecosystem is an inconsistency.
pub(crate) fn package(row: &impl Columns) -> StoreResult<Package> {
    let eco = row.text("ecosystem");
    Ok(Package {
        id: row.int("id"),
        ecosystem: Ecosystem::from_str(&eco)
            .map_err(|e| StoreError::Inconsistent(e.to_string()))?,
        name_key: row.text("name_key"),
        name: row.text("name"),
        handle: row.text("handle"),
        purl: row.text("purl"),
        meta: PackageMeta {
            display_name: row.opt_text("display_name"),
            description: row.opt_text("description"),
            homepage: row.opt_text("homepage"),
            repository: row.opt_text("repository"),
            license: row.opt_text("license"),
        },
        private_key_pem: row.text("private_key_pem"),
        public_key_pem: row.text("public_key_pem"),
        created_at: row.int("created_at"),
    })
}

/// A `followers` row.
pub(crate) fn follower(row: &impl Columns) -> Follower {
    Follower {
        id: row.int("id"),
        package_id: row.int("package_id"),
        actor_id: row.text("actor_id"),
        inbox: row.text("inbox"),
        shared_inbox: row.opt_text("shared_inbox"),
        follow_id: row.text("follow_id"),
        created_at: row.int("created_at"),
    }
}

/// A `remote_keys` row.
pub(crate) fn cached_key(row: &impl Columns) -> CachedKey {
    CachedKey {
        key_id: row.text("key_id"),
        actor_id: row.text("actor_id"),
        public_key_pem: row.text("public_key_pem"),
        inbox: row.text("inbox"),
        shared_inbox: row.opt_text("shared_inbox"),
        fetched_at: row.int("fetched_at"),
    }
}

/// An `outbox` row (`id, activity_id, activity, published`).
pub(crate) fn outbox_item(row: &impl Columns) -> OutboxItem {
    OutboxItem {
        id: row.int("id"),
        activity_id: row.text("activity_id"),
        activity: row.text("activity"),
        published: row.int("published"),
    }
}

/// The one-row answer of each backend's `counts` query (one column per count).
pub(crate) fn counts(row: &impl Columns) -> Counts {
    let n = |c: &str| row.int(c) as u64;
    Counts {
        packages: n("packages"),
        follows: n("follows"),
        distinct_followers: n("distinct_followers"),
        inbound_activities: n("inbound"),
        remote_keys: n("remote_keys"),
        outbox: n("outbox"),
    }
}

/// An `advisories` row (`advisory_id, record, modified, withdrawn`).
pub(crate) fn advisory(row: &impl Columns) -> StoredAdvisory {
    StoredAdvisory {
        advisory_id: row.text("advisory_id"),
        record: row.text("record"),
        modified: row.int("modified"),
        withdrawn: row.flag("withdrawn"),
    }
}

/// A `delivery_reports` row (the columns of each backend's `select_reports!`).
pub(crate) fn delivery_report(row: &impl Columns) -> DeliveryReport {
    DeliveryReport {
        report_id: row.text("report_id"),
        activity_id: row.text("activity_id"),
        actor_id: row.text("actor_id"),
        activity_type: row.text("activity_type"),
        recipients: parse_list(&row.text("recipients")),
        inbox_url: row.text("inbox_url"),
        result: row.text("result"),
        status_code: row.opt_int("status_code").map(|s| s as u16),
        reason: row.text("reason"),
        suggested_action: row.opt_text("suggested_action"),
        action_taken: row.flag("action_taken"),
        attempts: row.int("attempts") as u32,
        created_at: row.int("created_at"),
    }
}
