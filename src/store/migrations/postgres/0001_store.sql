-- ferry's state store, PostgreSQL flavour: the SQLite schema as of its migration 0013, in one
-- step. Times are unix milliseconds (UTC) in BIGINT, JSON is TEXT, exactly as in SQLite, so a
-- store moves between the two row by row and its checksums compare (`ferry store migrate`).
-- Ids are never empty: an empty id means a bug upstream, so the write fails loudly.

CREATE TABLE cursors (
    pipeline   TEXT NOT NULL CHECK (pipeline <> ''),
    source     TEXT NOT NULL CHECK (source <> ''),
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pipeline, source)
);

CREATE TABLE cross_references (
    -- The order links were first made, which an upsert that moves a link keeps. Named after
    -- SQLite's implicit rowid, which keeps the same order, so that one SQL orders by it on both.
    rowid             BIGSERIAL NOT NULL UNIQUE,
    source_collection TEXT NOT NULL CHECK (source_collection <> ''),
    source_id         TEXT NOT NULL CHECK (source_id <> ''),
    target_collection TEXT NOT NULL CHECK (target_collection <> ''),
    target_id         TEXT NOT NULL CHECK (target_id <> ''),
    updated_at        BIGINT NOT NULL,
    -- The keys a target record is known by besides its id, as a JSON object.
    target_keys       TEXT NOT NULL DEFAULT '{}',
    -- What a sink's `on conflict newest by FIELD` compares.
    source_stamp      TEXT,
    PRIMARY KEY (source_collection, source_id, target_collection)
);
CREATE INDEX cross_references_by_target ON cross_references (target_collection, target_id);
CREATE INDEX cross_references_by_source_target ON cross_references (source_collection, target_id);
CREATE INDEX cross_references_by_target_source ON cross_references (target_collection, source_id);

CREATE TABLE idempotency_records (
    key             TEXT PRIMARY KEY CHECK (key <> ''),
    pipeline        TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    target          TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status BIGINT,
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    operation       TEXT CHECK (operation IS NULL OR operation IN ('create', 'update')),
    fields_changed  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
CREATE INDEX idempotency_records_in_flight ON idempotency_records (pipeline, target, source_id)
    WHERE response_status IS NULL;

CREATE TABLE dead_letters (
    id              BIGSERIAL PRIMARY KEY,
    pipeline        TEXT NOT NULL CHECK (pipeline <> ''),
    source_id       TEXT NOT NULL CHECK (source_id <> ''),
    record_json     TEXT NOT NULL,
    error_code      TEXT NOT NULL,
    error_message   TEXT NOT NULL,
    attempts        BIGINT NOT NULL CHECK (attempts >= 1),
    first_seen      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL,
    resolved_at     BIGINT,
    resolution      TEXT
        CHECK (resolution IS NULL OR resolution IN ('replayed', 'delivered', 'discarded')),
    resolution_note TEXT,
    UNIQUE (pipeline, source_id)
);
CREATE INDEX dead_letters_by_pipeline ON dead_letters (pipeline, resolved_at);

CREATE TABLE dead_letter_history (
    id            BIGSERIAL PRIMARY KEY,
    letter_id     BIGINT NOT NULL REFERENCES dead_letters (id),
    at            BIGINT NOT NULL,
    what          TEXT NOT NULL
        CHECK (what IN ('failed', 'replayed', 'delivered', 'discarded')),
    error_code    TEXT,
    error_message TEXT,
    note          TEXT
);
CREATE INDEX dead_letter_history_by_letter ON dead_letter_history (letter_id, id);
CREATE INDEX dead_letter_history_by_at ON dead_letter_history (at);

-- Triggers write the history, so that every statement that files or closes a letter (one at a
-- time, or many in a worker's batch) records it the same way.
CREATE FUNCTION dead_letter_story() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.attempts > OLD.attempts THEN
        INSERT INTO dead_letter_history (letter_id, at, what, error_code, error_message)
        VALUES (NEW.id, NEW.last_seen, 'failed', NEW.error_code, NEW.error_message);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.resolved_at IS NOT NULL AND OLD.resolved_at IS NULL THEN
        INSERT INTO dead_letter_history (letter_id, at, what, note)
        VALUES (NEW.id, NEW.resolved_at, COALESCE(NEW.resolution, 'delivered'),
                NEW.resolution_note);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dead_letter_story AFTER INSERT OR UPDATE ON dead_letters
    FOR EACH ROW EXECUTE FUNCTION dead_letter_story();

CREATE TABLE audit_log (
    id               BIGSERIAL PRIMARY KEY,
    pipeline         TEXT NOT NULL CHECK (pipeline <> ''),
    pipeline_version TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    target           TEXT NOT NULL,
    target_id        TEXT,
    operation        TEXT NOT NULL CHECK (operation IN ('create', 'update', 'delete', 'noop')),
    fields_changed   TEXT NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX audit_log_by_pipeline ON audit_log (pipeline, source_id);
CREATE INDEX audit_log_by_target_id ON audit_log (target_id);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_pipeline_newest ON audit_log (pipeline, id);
CREATE INDEX audit_log_by_source_id ON audit_log (source_id);

-- The webhook inbox. `created` and object versions are the sender's own unix seconds.
CREATE TABLE inbox (
    -- Received order: a tie-break between events created in the same second.
    seq          BIGSERIAL PRIMARY KEY,
    connection   TEXT NOT NULL CHECK (connection <> ''),
    event_id     TEXT NOT NULL CHECK (event_id <> ''),
    event_type   TEXT NOT NULL CHECK (event_type <> ''),
    created      BIGINT NOT NULL,
    body         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'processing', 'done', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Who holds a `processing` event, and until when; after that anyone may claim it again.
    claimed_by   TEXT,
    lease_until  BIGINT,
    -- A `pending` event sent back for a retry is not claimed before this.
    not_before   BIGINT,
    last_error   TEXT,
    processed_at BIGINT,
    UNIQUE (connection, event_id)
);
CREATE INDEX inbox_open ON inbox (created, seq) WHERE state IN ('pending', 'processing');
CREATE INDEX inbox_failed ON inbox (seq) WHERE state = 'failed';
CREATE INDEX inbox_done ON inbox (processed_at) WHERE state = 'done';
CREATE INDEX inbox_open_state ON inbox (state, received_at) WHERE state IN ('pending', 'processing');

CREATE TABLE object_versions (
    connection TEXT NOT NULL CHECK (connection <> ''),
    object_id  TEXT NOT NULL CHECK (object_id <> ''),
    version    BIGINT NOT NULL,
    event_id   TEXT NOT NULL CHECK (event_id <> ''),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (connection, object_id)
);

CREATE TABLE last_events (
    connection TEXT PRIMARY KEY CHECK (connection <> ''),
    event_id   TEXT NOT NULL CHECK (event_id <> ''),
    created    BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE alerts (
    id        BIGSERIAL PRIMARY KEY,
    trigger   TEXT NOT NULL CHECK (trigger <> ''),
    key       TEXT NOT NULL CHECK (key <> ''),
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    delivered TEXT NOT NULL DEFAULT '[]',
    failed    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX alerts_by_key ON alerts (key, at);

CREATE TABLE reconcile_reports (
    id          BIGSERIAL PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin <> ''),
    pipelines   TEXT NOT NULL,
    mismatches  BIGINT NOT NULL CHECK (mismatches >= 0),
    errors      BIGINT NOT NULL CHECK (errors >= 0),
    report      TEXT NOT NULL
);
CREATE INDEX reconcile_reports_by_time ON reconcile_reports (started_at);

CREATE TABLE records_read (
    pipeline TEXT NOT NULL,
    hour     BIGINT NOT NULL,
    read     BIGINT NOT NULL CHECK (read >= 0),
    PRIMARY KEY (pipeline, hour)
);
CREATE INDEX records_read_by_hour ON records_read (hour);

CREATE TABLE records_seen (
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    record_json TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (source, source_id)
);

-- Only in PostgreSQL, where many processes share one store:

-- Who holds each pipeline's run lock (the lock itself is a session advisory lock), for the
-- message a second runner gets.
CREATE TABLE run_lock_holders (
    pipeline TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    since    BIGINT NOT NULL
);

-- One request budget per connection for every process of the fleet (GCRA): the theoretical
-- arrival time of the next request, in microseconds of the server's clock.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY CHECK (key <> ''),
    tat BIGINT NOT NULL
);
