//! A test's `fetched` answers must look like what the API answers: objects with the fields of the
//! collection's records, each of its type. A test that hands in an object the API would never
//! send (a misspelt field, an amount as text) proves nothing about the real run. Fields left out
//! are allowed (a test gives what the pipeline reads), and so are fields the schema does not know
//! unless they are a near miss of one it does.

use crate::check::{SchemaRegistry, Type};
use crate::value::Value;

/// Checks each answer of `fetched` (keyed `collection/id` or `collection?filters`) against the
/// records of its collection; null stands for an object the API does not have.
pub fn check_fetched(fetched: &Value, schemas: &SchemaRegistry) -> Result<(), String> {
    let Value::Object(entries) = fetched else {
        return Ok(());
    };
    for (key, answer) in entries.iter() {
        let collection = key.split(['/', '?']).next().unwrap_or(key);
        let Some(source) = schemas.sources.get(collection) else {
            return Err(format!(
                "`fetched` \"{key}\": `{collection}` is not a collection ferry can fetch"
            ));
        };
        let records: Vec<&Value> = match (answer, key.contains('?')) {
            (Value::Null, _) => Vec::new(),
            (Value::List(items), true) => items.iter().collect(),
            (other, true) => {
                return Err(format!(
                    "`fetched` \"{key}\": a list fetch answers a list, not {}",
                    other.kind()
                ));
            }
            (other, false) => vec![other],
        };
        for record in records {
            conforms(record, &source.record, "").map_err(|problem| {
                format!("`fetched` \"{key}\": {problem}, which the API never sends")
            })?;
        }
    }
    Ok(())
}

/// Whether `value` can be a value of `ty`; the first field that cannot, as a message.
fn conforms(value: &Value, ty: &Type, path: &str) -> Result<(), String> {
    let mismatch = || {
        Err(format!(
            "`{}` is {}, where a {} belongs",
            if path.is_empty() { "." } else { path },
            value.kind(),
            ty
        ))
    };
    match (ty, value) {
        (Type::Optional(_), Value::Null | Value::Missing) | (Type::Null, Value::Null) => Ok(()),
        (Type::Optional(inner), _) => conforms(value, inner, path),
        (Type::Union(choices), _) => {
            if choices.iter().any(|t| conforms(value, t, path).is_ok()) {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Type::Bool, Value::Bool(_))
        | (Type::Int | Type::MinorUnits, Value::Int(_))
        | (Type::Decimal, Value::Int(_) | Value::Decimal(_))
        | (Type::String | Type::Key(_), Value::String(_))
        | (Type::Date | Type::Timestamp, Value::String(_) | Value::Int(_))
        | (Type::Date, Value::Date(_))
        | (Type::Timestamp, Value::Timestamp(_)) => Ok(()),
        // Decimals some APIs send as text (Stripe's `unit_amount_decimal`).
        (Type::Decimal, Value::String(text)) if text.parse::<rust_decimal::Decimal>().is_ok() => {
            Ok(())
        }
        (Type::List(inner), Value::List(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(n, item)| conforms(item, inner, &format!("{path}[{n}]"))),
        (Type::Object(object), Value::Object(fields)) => {
            for (name, field_value) in fields.iter() {
                let field_path = format!("{path}.{name}");
                match (object.fields.get(name), &object.other_keys) {
                    (Some(field), _) => conforms(field_value, &field.ty, &field_path)?,
                    (None, Some(other)) => conforms(field_value, other, &field_path)?,
                    // APIs add fields to every version (Stripe does), so a field the schema
                    // does not know may be real; one that is a near miss of a known field is a
                    // misspelling, which the API never sends.
                    (None, None) => {
                        if let Some(meant) = misspelling_of(name, object.fields.keys()) {
                            let record = object.name.as_deref().unwrap_or("record");
                            return Err(format!(
                                "`{field_path}` is not a field of a {record} (did you mean `{meant}`?)"
                            ));
                        }
                    }
                }
            }
            Ok(())
        }
        (
            Type::Any
            | Type::Never
            | Type::Closure
            | Type::Omit
            | Type::Duration
            | Type::Lookup { .. },
            _,
        ) => Ok(()),
        _ => mismatch(),
    }
}

/// The known field `name` is a typo of: at most two letters apart. A name further off (Stripe's
/// newer `subscription_item` beside `subscription`) may be a field the schema does not know yet.
fn misspelling_of<'k>(name: &str, known: impl Iterator<Item = &'k String>) -> Option<&'k str> {
    if name.chars().count() <= 3 {
        return None;
    }
    known
        .map(|field| (strsim::levenshtein(name, field), field))
        .filter(|(edits, _)| (1..=2).contains(edits))
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, field)| field.as_str())
}
