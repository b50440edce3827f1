-- A dead letter is closed in one of three ways, and keeps the story of how it got there:
-- each failure (with its error), and its closing (replayed, delivered by a later run, or
-- discarded by someone, with their reason). The dashboard and `ferry dlq show` print it.
ALTER TABLE dead_letters ADD COLUMN resolution TEXT
    CHECK (resolution IS NULL OR resolution IN ('replayed', 'delivered', 'discarded'));
ALTER TABLE dead_letters ADD COLUMN resolution_note TEXT;
UPDATE dead_letters SET resolution = 'replayed' WHERE resolved_at IS NOT NULL;

CREATE TABLE dead_letter_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    letter_id     INTEGER NOT NULL REFERENCES dead_letters (id),
    at            INTEGER NOT NULL,
    what          TEXT NOT NULL
        CHECK (what IN ('failed', 'replayed', 'delivered', 'discarded')),
    error_code    TEXT,
    error_message TEXT,
    note          TEXT
);
CREATE INDEX dead_letter_history_by_letter ON dead_letter_history (letter_id, id);

-- What the letters held before the history began: their latest failure and their closing.
INSERT INTO dead_letter_history (letter_id, at, what, error_code, error_message)
    SELECT id, last_seen, 'failed', error_code, error_message FROM dead_letters;
INSERT INTO dead_letter_history (letter_id, at, what)
    SELECT id, resolved_at, resolution FROM dead_letters WHERE resolved_at IS NOT NULL;

-- Triggers write the history, so that every statement that files or closes a letter (one at a
-- time, or many in a worker's batch) records it the same way.
CREATE TRIGGER dead_letter_filed AFTER INSERT ON dead_letters
BEGIN
    INSERT INTO dead_letter_history (letter_id, at, what, error_code, error_message)
    VALUES (NEW.id, NEW.last_seen, 'failed', NEW.error_code, NEW.error_message);
END;

CREATE TRIGGER dead_letter_failed_again AFTER UPDATE OF attempts ON dead_letters
    WHEN NEW.attempts > OLD.attempts
BEGIN
    INSERT INTO dead_letter_history (letter_id, at, what, error_code, error_message)
    VALUES (NEW.id, NEW.last_seen, 'failed', NEW.error_code, NEW.error_message);
END;

CREATE TRIGGER dead_letter_closed AFTER UPDATE OF resolved_at ON dead_letters
    WHEN NEW.resolved_at IS NOT NULL AND OLD.resolved_at IS NULL
BEGIN
    INSERT INTO dead_letter_history (letter_id, at, what, note)
    VALUES (NEW.id, NEW.resolved_at, COALESCE(NEW.resolution, 'delivered'), NEW.resolution_note);
END;
