-- Security advisories: every advisory seen (deduplicated across sources by id and
-- aliases), one post per advisory and package, per-package advisory baselines, and the
-- sources' incremental state. As migrations/sqlite/0005.

CREATE TABLE advisories (
    advisory_id TEXT PRIMARY KEY,     -- canonical id: the first id it was seen under
    record      TEXT NOT NULL,        -- the advisory (OSV JSON) as last taken
    modified    BIGINT NOT NULL,      -- its `modified`, Unix seconds
    withdrawn   BOOLEAN NOT NULL DEFAULT false,
    pending     BOOLEAN NOT NULL DEFAULT true, -- changed, not yet acted on for every package
    updated_at  BIGINT NOT NULL
);

-- Every id and alias (CVE, GHSA, …) of a stored advisory: the same CVE from two
-- sources is one advisory.
CREATE TABLE advisory_aliases (
    alias       TEXT PRIMARY KEY,
    advisory_id TEXT NOT NULL REFERENCES advisories (advisory_id) ON DELETE CASCADE
);

-- The packages each advisory names (ecosystem + normalised name, as `packages`
-- stores them): which advisories concern a package, without parsing them all.
CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (advisory_id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name_key, advisory_id)
);
CREATE INDEX advisory_packages_advisory ON advisory_packages (advisory_id);

-- What pkgfed did about an advisory for a package. `state`: recorded (known when the
-- package started being tracked: not posted), posted, deleted (withdrawn).
CREATE TABLE advisory_posts (
    package_id  BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    advisory_id TEXT NOT NULL,
    state       TEXT NOT NULL,
    note_id     TEXT,
    revision    TEXT NOT NULL,         -- hash of what the post says
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (package_id, advisory_id)
);

-- Packages whose existing advisories were taken into account when tracking began.
CREATE TABLE advisory_baselines (
    package_id BIGINT PRIMARY KEY REFERENCES packages (id) ON DELETE CASCADE,
    done_at    BIGINT NOT NULL
);

-- Incremental state of each advisory source (JSON).
CREATE TABLE advisory_sources (
    source TEXT PRIMARY KEY,
    state  TEXT NOT NULL
);
