-- The webhook inbox: events are stored here before they are acknowledged, and processed from
-- here afterwards. Store times are unix milliseconds (UTC); `created` and object versions are
-- the sender's own unix seconds.

CREATE TABLE inbox (
    -- Received order: a tie-break between events created in the same second.
    seq          INTEGER PRIMARY KEY,
    connection   TEXT NOT NULL CHECK (connection <> ''),
    event_id     TEXT NOT NULL CHECK (event_id <> ''),
    event_type   TEXT NOT NULL CHECK (event_type <> ''),
    created      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'processing', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Who holds a `processing` event, and until when; after that anyone may claim it again.
    claimed_by   TEXT,
    lease_until  INTEGER,
    -- A `pending` event sent back for a retry is not claimed before this.
    not_before   INTEGER,
    last_error   TEXT,
    processed_at INTEGER,
    UNIQUE (connection, event_id)
);
-- The claim queue: only unfinished events, in the order they are claimed, so a claim reads a few
-- index entries however many finished events the table keeps.
CREATE INDEX inbox_open ON inbox (created, seq) WHERE state IN ('pending', 'processing');
CREATE INDEX inbox_failed ON inbox (seq) WHERE state = 'failed';
CREATE INDEX inbox_done ON inbox (processed_at) WHERE state = 'done';

-- The newest version of each object that a worker has applied, so an older event delivered
-- late is skipped instead of undoing a newer one.
CREATE TABLE object_versions (
    connection TEXT NOT NULL CHECK (connection <> ''),
    object_id  TEXT NOT NULL CHECK (object_id <> ''),
    version    INTEGER NOT NULL,
    event_id   TEXT NOT NULL CHECK (event_id <> ''),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (connection, object_id)
) WITHOUT ROWID;

-- The newest event of each connection known to be in the inbox: where a catch-up from the
-- sender's event list (Stripe's /v1/events) starts after downtime.
CREATE TABLE last_events (
    connection TEXT PRIMARY KEY CHECK (connection <> ''),
    event_id   TEXT NOT NULL CHECK (event_id <> ''),
    created    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
