-- Durable outbound delivery: the transactional outbox (activities + one delivery per
-- target inbox), per-outcome delivery reports, per-host state (circuit breaker,
-- availability, signature scheme) and flagged domains. Times here are Unix
-- milliseconds (scheduling needs sub-second precision).

CREATE TABLE outbound_activities (
    id            INTEGER PRIMARY KEY,
    activity_id   TEXT NOT NULL UNIQUE,
    actor_id      TEXT NOT NULL,               -- the local actor that signs it
    package_id    INTEGER REFERENCES packages (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    activity      TEXT NOT NULL,               -- the JSON delivered
    status        TEXT NOT NULL,               -- pending | completed | failed
    status_detail TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX outbound_activities_actor ON outbound_activities (actor_id, id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    outbound_id     INTEGER NOT NULL REFERENCES outbound_activities (id) ON DELETE CASCADE,
    inbox           TEXT NOT NULL,
    host            TEXT NOT NULL,
    recipients      TEXT NOT NULL,             -- JSON array of actor ids this inbox serves
    state           TEXT NOT NULL,             -- pending | in_flight | succeeded | failed | skipped
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,                   -- in_flight claims expire (crash recovery)
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (outbound_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_host ON deliveries (host, state);

CREATE TABLE delivery_reports (
    id               INTEGER PRIMARY KEY,
    report_id        TEXT NOT NULL UNIQUE,
    activity_id      TEXT NOT NULL,
    actor_id         TEXT NOT NULL,
    activity_type    TEXT NOT NULL,
    recipients       TEXT NOT NULL,            -- JSON array
    inbox_url        TEXT NOT NULL,
    host             TEXT NOT NULL,
    result           TEXT NOT NULL,            -- success | permanent_failure | transient_failure | skipped
    status_code      INTEGER,
    reason           TEXT NOT NULL,
    suggested_action TEXT,                     -- remove_follower | flag_remote_server | rotate_keys
    action_taken     INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX delivery_reports_activity ON delivery_reports (activity_id);
CREATE INDEX delivery_reports_actor ON delivery_reports (actor_id, created_at);
CREATE INDEX delivery_reports_failures ON delivery_reports (result, action_taken);
CREATE INDEX delivery_reports_host ON delivery_reports (host, status_code, created_at);
CREATE INDEX delivery_reports_created ON delivery_reports (created_at);

CREATE TABLE hosts (
    host                 TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER,              -- first failure of the current streak
    circuit_open_until   INTEGER,              -- no attempts before this (then one probe)
    unavailable          INTEGER NOT NULL DEFAULT 0,
    last_success_at      INTEGER,
    signature_scheme     TEXT                  -- cavage | rfc9421: what the host accepted
);

CREATE TABLE flagged_domains (
    domain     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    flagged_at INTEGER NOT NULL
);
