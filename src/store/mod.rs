//! State that survives crashes: cursors, cross references, idempotency records, dead letters
//! and the audit log.
