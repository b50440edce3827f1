//! Files have no fixed shape: a record read from a file is `any`, and a record written to one
//! is an open object whose keys become the columns (CSV) or the JSON keys (JSON Lines).

use indexmap::IndexMap;

use crate::check::{
    KeyShape, ObjectType, RecordKey, SchemaRegistry, SinkSchema, SourceSchema, TargetSchema, Type,
};

pub const RECORD_TARGET: &str = "file.record";

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    for name in ["file.csv", "file.jsonl"] {
        registry.add_source(SourceSchema {
            name: name.into(),
            record: Type::Any,
            events: IndexMap::new(),
            id_field: "id".into(),
            object_at: None,
            fetchable: Default::default(),
        });
        registry.add_sink(SinkSchema {
            name: name.into(),
            accepts: RECORD_TARGET.into(),
            // A line of a file is known by the link id ferry writes it under.
            keys: vec![RecordKey::new("id", KeyShape::Text { max_length: 1000 })],
        });
    }
    registry.add_target(TargetSchema {
        name: RECORD_TARGET.into(),
        record: Type::object(ObjectType::named(RECORD_TARGET).other_keys(Type::Any)),
        metadata_limits: None,
    });
    registry
}
