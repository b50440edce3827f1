-- The runner records each write under its idempotency key before sending it, and settles the
-- record (response_status, response_body = the target id) in the transaction that stores the
-- write's cross reference and audit entry. A record still unsettled after a crash names a write
-- whose outcome was lost: the next delivery of that record audits it.
ALTER TABLE idempotency_records ADD COLUMN operation TEXT
    CHECK (operation IS NULL OR operation IN ('create', 'update'));
ALTER TABLE idempotency_records ADD COLUMN fields_changed TEXT NOT NULL DEFAULT '[]';
CREATE INDEX idempotency_records_in_flight ON idempotency_records (pipeline, target, source_id)
    WHERE response_status IS NULL;
