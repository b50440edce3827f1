-- The keys a target record is known by besides its id (a Business Central customer's `number`),
-- as a JSON object, so that `xref(business_central.customers.number, id)` needs no API call.
-- Links stored before this migration have none until their record is next delivered.
ALTER TABLE cross_references ADD COLUMN target_keys TEXT NOT NULL DEFAULT '{}';
