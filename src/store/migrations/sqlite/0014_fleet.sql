-- Several `ferry serve` processes on one store (issue 22).
--
-- The object an inbox event changes (`connection/object id`), when its body names one: a claim
-- passes over an event whose object has another event held by a live lease, so two events of
-- one object are never processed at once, whichever worker or process holds them. NULL: the
-- event has no object to keep in order.
ALTER TABLE inbox ADD COLUMN object_key TEXT;
CREATE INDEX inbox_held_objects ON inbox (object_key, lease_until) WHERE state = 'processing';

-- Scheduled work (catch-up, reconcile schedules, pruning, alert checks, webhook subscription)
-- runs on one process at a time: the one holding its lease, renewed while it lives.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY CHECK (name <> ''),
    holder     TEXT NOT NULL CHECK (holder <> ''),
    held_until INTEGER NOT NULL
);
