//! Small builders for hand-written schemas: a property table describes an entity once, and
//! both its source record (everything the system returns) and its map target (only what a
//! client may write) are derived from it.

use indexmap::IndexMap;

use crate::check::{
    Field, KeyShape, ObjectType, RecordKey, SchemaRegistry, SinkSchema, SourceSchema, TargetSchema,
    Type,
};

/// A property's wire type.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    String,
    /// An id such as a GUID, written as a string.
    Id,
    Int,
    Decimal,
    Bool,
    /// A calendar date (`2026-01-31`).
    Date,
    /// A timestamp delivered as an ISO 8601 string; pipelines parse it.
    DateTimeString,
    /// A string with a fixed set of values.
    Enum(&'static [&'static str]),
    /// A nested list of objects described by another property table.
    List(&'static str, Parts),
    /// A key of another collection's records: a document's `customerNumber` holds the
    /// `number` of a `business_central.customers` record, not its `id`.
    Key(&'static str, &'static str),
}

/// Who may set a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Set by the system (ids, numbers from a number series, totals, status): not in targets.
    ReadOnly,
    Write,
    /// Must be set to create the record.
    Required,
}

/// A property table in pieces (a shared header plus what one document adds).
pub type Parts = &'static [&'static [Prop]];

#[derive(Clone, Copy, Debug)]
pub struct Prop {
    pub name: &'static str,
    pub kind: Kind,
    pub access: Access,
    /// Absent or null in some records (sources) ...
    pub optional: bool,
    pub doc: Option<&'static str>,
    /// The longest text the system takes, when it has a limit.
    pub max_length: Option<usize>,
}

pub const fn ro(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        access: Access::ReadOnly,
        optional: false,
        doc: None,
        max_length: None,
    }
}

pub const fn rw(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        access: Access::Write,
        optional: false,
        doc: None,
        max_length: None,
    }
}

pub const fn req(name: &'static str, kind: Kind) -> Prop {
    Prop {
        name,
        kind,
        access: Access::Required,
        optional: false,
        doc: None,
        max_length: None,
    }
}

impl Prop {
    /// May be absent or null in what the system returns.
    pub const fn optional(mut self) -> Prop {
        self.optional = true;
        self
    }

    pub const fn doc(mut self, doc: &'static str) -> Prop {
        self.doc = Some(doc);
        self
    }

    /// The system refuses text longer than `max` characters.
    pub const fn max_length(mut self, max: usize) -> Prop {
        self.max_length = Some(max);
        self
    }
}

/// The record a source yields: every property.
pub fn source_type(name: &str, parts: Parts) -> Type {
    let mut object = ObjectType::named(name);
    for prop in parts.iter().flat_map(|part| part.iter()) {
        let mut field = field_for(prop, false);
        if prop.optional || matches!(prop.kind, Kind::List(..)) {
            // Nested lists only come with `$expand` (or similar) and may be absent.
            field.ty = Type::optional(field.ty);
        }
        object.fields.insert(prop.name.to_string(), field);
    }
    Type::object(object)
}

/// What a map target accepts: the writable properties, required ones marked.
pub fn target_type(name: &str, parts: Parts) -> Type {
    let mut object = ObjectType::named(name);
    let props = parts.iter().flat_map(|part| part.iter());
    for prop in props.filter(|p| p.access != Access::ReadOnly) {
        let mut field = field_for(prop, true);
        field.required = prop.access == Access::Required;
        object.fields.insert(prop.name.to_string(), field);
    }
    Type::object(object)
}

fn field_for(prop: &Prop, writing: bool) -> Field {
    let (ty, allowed) = match prop.kind {
        Kind::String | Kind::Id | Kind::DateTimeString => (Type::String, None),
        Kind::Int => (Type::Int, None),
        Kind::Decimal => (Type::Decimal, None),
        Kind::Bool => (Type::Bool, None),
        Kind::Date => (Type::Date, None),
        Kind::Enum(values) => (Type::String, Some(values)),
        Kind::Key(collection, key) => (Type::key(collection, key), None),
        Kind::List(item, props) => {
            let item = if writing {
                target_type(item, props)
            } else {
                source_type(item, props)
            };
            (Type::list(item), None)
        }
    };
    let mut field = Field::new(ty);
    if let Some(values) = allowed {
        field = field.allowed(values);
    }
    if let Some(doc) = prop.doc {
        field = field.doc(doc);
    }
    field.max_length = prop.max_length;
    field
}

/// Optional `T?` field, for hand-built objects.
pub fn opt(ty: Type) -> Field {
    Field::new(Type::optional(ty))
}

/// An object type from `(name, field)` pairs.
pub fn object(name: &str, fields: &[(&str, Field)]) -> Type {
    let mut object = ObjectType::named(name);
    for (field_name, field) in fields {
        object.fields.insert(field_name.to_string(), field.clone());
    }
    Type::object(object)
}

/// One entity: its source stream (plural), map target (singular) and sink (plural).
pub struct Entity {
    pub source: &'static str,
    pub target: &'static str,
    pub parts: Parts,
    /// The keys its records are known by, the id first.
    pub keys: Keys,
}

/// A collection's keys and their shapes, the id first.
pub type Keys = &'static [(&'static str, KeyShape)];

/// Adds each entity's source, target and sink to `registry`.
pub fn add_entities(registry: &mut SchemaRegistry, entities: &[Entity], id_field: &str) {
    for entity in entities {
        registry.add_source(SourceSchema {
            name: entity.source.to_string(),
            record: keyed(
                source_type(entity.target, entity.parts),
                entity.source,
                entity.keys,
            ),
            events: IndexMap::new(),
            id_field: id_field.to_string(),
            object_at: None,
            fetchable: Default::default(),
        });
        add_target_and_sink(
            registry,
            entity.source,
            entity.target,
            entity.parts,
            entity.keys,
        );
    }
}

/// `record` with each of `collection`'s own keys typed as that key, so a pipeline cannot put
/// a customer's `id` where its `number` belongs.
pub fn keyed(record: Type, collection: &str, keys: Keys) -> Type {
    keys.iter().fold(record, |record, (name, _)| {
        with_key(record, name, collection, name)
    })
}

/// `record` with its field `field` typed as key `key` of `collection` (kept optional if it was).
pub fn with_key(mut record: Type, field: &str, collection: &str, key: &str) -> Type {
    if let Type::Object(object) = &mut record
        && let Some(field) = std::sync::Arc::make_mut(object).fields.get_mut(field)
    {
        let ty = Type::key(collection, key);
        field.ty = if field.ty.is_optional() {
            Type::optional(ty)
        } else {
            ty
        };
    }
    record
}

/// The [`RecordKey`]s of a key table.
pub fn record_keys(keys: Keys) -> Vec<RecordKey> {
    keys.iter()
        .map(|(name, shape)| RecordKey::new(*name, shape.clone()))
        .collect()
}

/// A source only (a stream nothing in ferry writes back).
pub fn add_source(
    registry: &mut SchemaRegistry,
    name: &str,
    record: &str,
    parts: Parts,
    id_field: &str,
) {
    registry.add_source(SourceSchema {
        name: name.to_string(),
        record: with_key(source_type(record, parts), id_field, name, id_field),
        events: IndexMap::new(),
        id_field: id_field.to_string(),
        object_at: None,
        fetchable: Default::default(),
    });
}

/// A map target and the sink collection that writes it, whose records are known by `keys`.
pub fn add_target_and_sink(
    registry: &mut SchemaRegistry,
    sink: &str,
    target: &str,
    parts: Parts,
    keys: Keys,
) {
    registry.add_target(TargetSchema {
        name: target.to_string(),
        record: keyed(target_type(target, parts), sink, keys),
        metadata_limits: None,
    });
    registry.add_sink(SinkSchema {
        name: sink.to_string(),
        accepts: target.to_string(),
        keys: record_keys(keys),
    });
}
