-- The last version ferry read of each source record whose deletion changes what it belonged to
-- (a Capsule opportunity of its party): Capsule lists a deletion by id only, so the deletion
-- is mapped from this version, which names the party. One row per source record, replaced as
-- newer versions are read.
CREATE TABLE records_seen (
    -- `connection.stream`
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    record_json TEXT NOT NULL,
    -- Unix milliseconds.
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (source, source_id)
);
