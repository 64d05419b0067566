-- Indexes for claiming deliveries (`claim_due`) in time proportional to what a claim
-- returns rather than to the whole queue. Partial: only open deliveries are indexed,
-- so finished ones (the bulk of the table over time) cost nothing here.

-- The due order: fresh deliveries first, then retries, each by (next_attempt_at, id).
CREATE INDEX deliveries_pending_fresh ON deliveries (next_attempt_at, id, host)
    WHERE state = 'pending' AND attempts = 0;
CREATE INDEX deliveries_pending_retry ON deliveries (next_attempt_at, id, host)
    WHERE state = 'pending' AND attempts > 0;

-- Per host, in the due order: the fallback when one host's backlog fills the walk.
CREATE INDEX deliveries_pending_host ON deliveries (host, (attempts > 0), next_attempt_at, id)
    WHERE state = 'pending';

-- In-flight count per host.
CREATE INDEX deliveries_in_flight_host ON deliveries (host) WHERE state = 'in_flight';
