//! Running pipelines: polling, delivery, dead letters and the audit log.
