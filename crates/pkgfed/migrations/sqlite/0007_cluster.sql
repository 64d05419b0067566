-- Cluster mode: several worker processes on one database.
-- A registry check is claimed like a delivery: `lease_until` (Unix ms) is set by the
-- worker that claimed the watch and cleared when its check is saved; an expired lease
-- (the worker died) makes the package claimable again.
ALTER TABLE watches ADD COLUMN lease_until INTEGER;
-- Named leases of singleton jobs (a registry's change-feed read, the advisory sources):
-- one holder at a time, renewed while it runs, taken over once expired.
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);
-- Counters bumped when state that processes cache changes (`signing_keys` after a key
-- rotation, `domain_blocks` after a run-time block), so every process notices.
CREATE TABLE generations (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
