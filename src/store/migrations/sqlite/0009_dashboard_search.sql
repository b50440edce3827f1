-- The dashboard's queries: the audit log searched by target id and by time, a pipeline's
-- newest entry, and the failures per hour of the last day.
CREATE INDEX audit_log_by_target_id ON audit_log (target_id);
CREATE INDEX audit_log_by_at ON audit_log (at);
CREATE INDEX audit_log_by_pipeline_newest ON audit_log (pipeline, id);
CREATE INDEX dead_letter_history_by_at ON dead_letter_history (at);
