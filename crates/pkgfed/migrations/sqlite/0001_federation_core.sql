-- Federation core: package actors, their followers, inbound activities, the remote
-- actor/key cache and the outbox. Timestamps are Unix seconds (UTC).

CREATE TABLE instance_keys (
    name            TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE packages (
    id              INTEGER PRIMARY KEY,
    ecosystem       TEXT NOT NULL,
    name_key        TEXT NOT NULL,   -- the ecosystem's normalised name: identity
    name            TEXT NOT NULL,   -- as the registry spells it
    handle          TEXT NOT NULL UNIQUE,
    purl            TEXT NOT NULL UNIQUE,
    display_name    TEXT,
    description     TEXT,
    homepage        TEXT,
    repository      TEXT,
    license         TEXT,
    private_key_pem TEXT NOT NULL,
    public_key_pem  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (ecosystem, name_key)
);

CREATE TABLE followers (
    id           INTEGER PRIMARY KEY,          -- cursor for paging
    package_id   INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    actor_id     TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT,
    follow_id    TEXT NOT NULL,                -- the Follow activity that created it
    created_at   INTEGER NOT NULL,
    UNIQUE (package_id, actor_id)
);
CREATE INDEX followers_actor ON followers (actor_id);
CREATE INDEX followers_package ON followers (package_id, id);  -- cursor paging, fan-out

CREATE TABLE inbound_activities (
    id          INTEGER PRIMARY KEY,
    activity_id TEXT NOT NULL UNIQUE,          -- dedup key
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    object_id   TEXT,
    recipients  TEXT NOT NULL,                 -- JSON array of local actor ids
    raw         TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX inbound_activities_actor ON inbound_activities (actor, received_at);

CREATE TABLE remote_keys (
    key_id         TEXT PRIMARY KEY,
    actor_id       TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    inbox          TEXT NOT NULL,
    shared_inbox   TEXT,
    fetched_at     INTEGER NOT NULL
);
CREATE INDEX remote_keys_actor ON remote_keys (actor_id);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,           -- cursor for paging
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    activity_id TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    activity    TEXT NOT NULL,
    published   INTEGER NOT NULL
);
CREATE INDEX outbox_package ON outbox (package_id, id);
