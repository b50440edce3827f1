//! The schemas of a project that pulled its Capsule account's custom fields: parties,
//! opportunities and kases with a typed `.custom`, and the party target with the same, so
//! `ferry lint` checks `.custom.renewal_date` (and finds `.custom.renewl_date`) offline.

use std::sync::Arc;

use super::custom_fields::{ENTITIES, Keyed, Pulled};
use crate::check::{Field, ObjectType, SchemaRegistry, Type};

/// The Capsule schemas that `pulled` changes, to merge over the fixed ones.
pub fn with_custom_fields(pulled: &Pulled) -> SchemaRegistry {
    let fixed = super::schemas();
    let mut registry = SchemaRegistry::default();
    for entity in ENTITIES {
        let Some(keyed) = pulled.of(entity.plural).filter(|k| !k.fields.is_empty()) else {
            continue;
        };
        if let Some(source) = fixed.sources.get(&format!("capsule.{}", entity.plural)) {
            let mut source = source.clone();
            let custom = custom_object(entity.singular, keyed, Side::Read);
            let doc = "The custom fields the project pulled (`ferry schema pull`), by the \
                       snake_case of their names; null where the record has no value.";
            source.record = with_field(&source.record, Field::new(custom).doc(doc));
            registry.add_source(source);
        }
        if let Some(target) = fixed.targets.get(&format!("capsule.{}", entity.singular)) {
            let mut target = target.clone();
            let custom = custom_object(entity.singular, keyed, Side::Write);
            let doc = "Custom field values to set, sent as Capsule's `fields` by definition id.";
            target.record = with_field(&target.record, Field::new(custom).doc(doc));
            registry.add_target(target);
        }
    }
    registry
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A record read: any field may have no value.
    Read,
    Write,
}

fn custom_object(singular: &str, keyed: &Keyed, side: Side) -> Type {
    let mut object = ObjectType::named(format!("capsule.{singular}CustomFields"));
    for (key, definition) in &keyed.fields {
        let ty = match side {
            Side::Read => Type::optional(definition.ty()),
            Side::Write => definition.ty(),
        };
        object
            .fields
            .insert(key.clone(), definition.schema_field(ty));
    }
    Type::Object(Arc::new(object))
}

/// `record` with `custom` added (a record that is no object is left as it is).
fn with_field(record: &Type, custom: Field) -> Type {
    match record {
        Type::Object(object) => {
            let mut object = ObjectType::clone(object);
            object.fields.insert("custom".into(), custom);
            Type::Object(Arc::new(object))
        }
        other => other.clone(),
    }
}
