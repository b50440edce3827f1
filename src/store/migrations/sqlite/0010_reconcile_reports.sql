-- Every reconcile's report, from `ferry reconcile` or a schedule of `ferry serve`: listed by
-- `ferry reconcile --list` and shown by the dashboard. The report itself is JSON, whole.
CREATE TABLE reconcile_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    -- `command`, or the name of the `reconcile:` schedule that ran it.
    origin      TEXT NOT NULL CHECK (origin <> ''),
    -- JSON array of the pipelines reconciled, skipped or failed.
    pipelines   TEXT NOT NULL,
    mismatches  INTEGER NOT NULL CHECK (mismatches >= 0),
    errors      INTEGER NOT NULL CHECK (errors >= 0),
    report      TEXT NOT NULL
);
CREATE INDEX reconcile_reports_by_time ON reconcile_reports (started_at);
