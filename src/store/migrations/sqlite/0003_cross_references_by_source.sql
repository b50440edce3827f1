-- `target_id` looks a link up by (target_collection, source_id): without this index each lookup
-- read every link of the collection, so a backfill slowed down with every record it wrote.
CREATE INDEX cross_references_by_target_source ON cross_references (target_collection, source_id);
