-- The keys a target record is known by besides its id (a Business Central customer's `number`),
-- as a JSON object, so that `xref(business_central.customers.number, id)` needs no API call.
-- Links stored before this migration have none until their record is next delivered.
ALTER TABLE cross_references ADD COLUMN target_keys TEXT NOT NULL DEFAULT '{}';
-- The value a sink's `on conflict newest by FIELD` compares (the source record's FIELD when the
-- link was made), so that of two source records matching one target the newer keeps it.
ALTER TABLE cross_references ADD COLUMN source_stamp TEXT;
