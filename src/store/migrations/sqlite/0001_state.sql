-- ferry's state store, SQLite flavour. Times are unix milliseconds (UTC); JSON is text.
-- Ids are never empty: an empty id means a bug upstream, so the write fails loudly.

CREATE TABLE cursors (
    pipeline   TEXT NOT NULL CHECK (pipeline <> ''),
    source     TEXT NOT NULL CHECK (source <> ''),
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, source)
);

CREATE TABLE cross_references (
    source_collection TEXT NOT NULL CHECK (source_collection <> ''),
    source_id         TEXT NOT NULL CHECK (source_id <> ''),
    target_collection TEXT NOT NULL CHECK (target_collection <> ''),
    target_id         TEXT NOT NULL CHECK (target_id <> ''),
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (source_collection, source_id, target_collection)
);
-- The way back: from a target record to the source record it came from.
CREATE INDEX cross_references_by_target ON cross_references (target_collection, target_id);
CREATE INDEX cross_references_by_source_target ON cross_references (source_collection, target_id);

CREATE TABLE idempotency_records (
    key             TEXT PRIMARY KEY CHECK (key <> ''),
    pipeline        TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    target          TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);

CREATE TABLE dead_letters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline      TEXT NOT NULL CHECK (pipeline <> ''),
    source_id     TEXT NOT NULL CHECK (source_id <> ''),
    record_json   TEXT NOT NULL,
    error_code    TEXT NOT NULL,
    error_message TEXT NOT NULL,
    attempts      INTEGER NOT NULL CHECK (attempts >= 1),
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    resolved_at   INTEGER,
    UNIQUE (pipeline, source_id)
);

CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline         TEXT NOT NULL CHECK (pipeline <> ''),
    pipeline_version TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    target           TEXT NOT NULL,
    target_id        TEXT,
    operation        TEXT NOT NULL CHECK (operation IN ('create', 'update', 'delete', 'noop')),
    fields_changed   TEXT NOT NULL,
    at               INTEGER NOT NULL
);
CREATE INDEX audit_log_by_pipeline ON audit_log (pipeline, source_id);
