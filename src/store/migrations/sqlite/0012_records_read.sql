-- Records read per pipeline and hour, for the dashboard's chart. A batch of `ferry run` and a
-- worker's claim in `ferry serve` add their count to the hour's row when they commit, so the
-- table grows by one row per pipeline and hour, however many records are read.
CREATE TABLE records_read (
    pipeline TEXT NOT NULL,
    -- The start of the hour, unix milliseconds (UTC).
    hour     INTEGER NOT NULL,
    read     INTEGER NOT NULL CHECK (read >= 0),
    PRIMARY KEY (pipeline, hour)
);
CREATE INDEX records_read_by_hour ON records_read (hour);
