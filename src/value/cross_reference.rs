//! Cross references: which target record a source record is linked with.

/// The links a call can read, through `xref(...)`; the store answers them in a run.
pub trait CrossReferences: Sync {
    /// The id, in `collection`, of the record linked with `source_id`.
    fn target_id(&self, collection: &str, source_id: &str) -> Option<String>;
    /// Key `key` (`number`) of that record, as the target gave it when it was written.
    fn target_key(&self, collection: &str, key: &str, source_id: &str) -> Option<String>;
}

/// No store: every cross reference misses.
pub struct NoCrossReferences;

impl CrossReferences for NoCrossReferences {
    fn target_id(&self, _collection: &str, _source_id: &str) -> Option<String> {
        None
    }

    fn target_key(&self, _collection: &str, _key: &str, _source_id: &str) -> Option<String> {
        None
    }
}
