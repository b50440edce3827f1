-- The dashboard on a big store (bench/dashboard.sh: 100,000 audit entries, 10,000 dead letters).
-- Each pipeline's letters counted and paged: a count, or a page's ids, from this index alone,
-- before the page's letters (each holds its record) are read.
CREATE INDEX dead_letters_by_pipeline ON dead_letters (pipeline, resolved_at);
-- The audit log searched by source id alone, the search for what happened to one record.
CREATE INDEX audit_log_by_source_id ON audit_log (source_id);
