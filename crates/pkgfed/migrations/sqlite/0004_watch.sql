-- Registry watching: per-package watch state, every version seen, the posts pkgfed
-- made about them, and per-registry change-feed state. Times are Unix milliseconds
-- except `published_at` (Unix seconds, from the registry).

-- One row per package that is or was watched. `tracked` follows whether the package
-- has followers; a package that becomes tracked again starts with a fresh baseline.
CREATE TABLE watches (
    package_id         INTEGER PRIMARY KEY REFERENCES packages (id) ON DELETE CASCADE,
    ecosystem          TEXT NOT NULL,
    tracked            INTEGER NOT NULL DEFAULT 0,
    baseline_done      INTEGER NOT NULL DEFAULT 0,
    etag               TEXT,
    last_modified      TEXT,
    interval_ms        INTEGER NOT NULL,
    next_check_at      INTEGER NOT NULL,
    last_checked_at    INTEGER,
    last_success_at    INTEGER,
    last_change_at     INTEGER,
    newest_release_at  INTEGER,          -- newest publish time seen (Unix s): the adaptive interval
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    metadata_hash      TEXT
);
CREATE INDEX watches_due ON watches (ecosystem, next_check_at) WHERE tracked = 1;

-- Every version of a watched package pkgfed has seen. `state`: baseline (there before
-- watching began: never posted), announced (has a live post), skipped (a prerelease
-- with prereleases turned off), yanked (withdrawn; its post, if any, was deleted).
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    package_id    INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version       TEXT NOT NULL,
    state         TEXT NOT NULL,
    prerelease    INTEGER NOT NULL DEFAULT 0,
    deprecated    TEXT,
    note_id       TEXT,             -- the live post about it, if any
    posts_made    INTEGER NOT NULL DEFAULT 0,  -- generations: an un-yank posts a new id
    published_at  INTEGER,
    seen_at       INTEGER NOT NULL,
    UNIQUE (package_id, version)
);

-- The Notes pkgfed published, fetchable at their id.
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    note_id     TEXT NOT NULL UNIQUE,
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,      -- release | advisory
    version     TEXT,
    object      TEXT NOT NULL,      -- the Note as JSON (current revision)
    create_id   TEXT NOT NULL,      -- the Create activity that published it
    deleted_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX posts_package ON posts (package_id, id);

-- Per registry: change-feed cursor and counters for the health view.
CREATE TABLE registry_state (
    ecosystem       TEXT PRIMARY KEY,
    feed_cursor     TEXT,
    last_feed_at    INTEGER,
    last_success_at INTEGER,
    last_error_at   INTEGER,
    last_error      TEXT
);
