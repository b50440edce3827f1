//! Turns the derived table's entries into checker types, cutting nesting at a fixed depth so
//! that deep or cyclic references end in `any` instead of recursing.

use crate::check::{Field, ObjectType, Type};

use super::table::{FieldSpec, Objects};

/// Nested objects below this many levels under the root become `any`, as in the script.
pub const MAX_DEPTH: usize = 3;

/// Why a table entry could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub struct TableError(pub String);

/// Builds the named object `name` of `objects` as a root (its own fields are level 1).
pub fn object(objects: &Objects, name: &str) -> Result<Type, TableError> {
    build_object(objects, name, 0, false)
}

/// As [`object`], for request parameters a map target writes: a map's values (metadata's) may
/// be null, which unsets the key (Stripe deletes a key posted empty).
pub fn request(objects: &Objects, name: &str) -> Result<Type, TableError> {
    build_object(objects, name, 0, true)
}

fn build_object(
    objects: &Objects,
    name: &str,
    depth: usize,
    writing: bool,
) -> Result<Type, TableError> {
    let specs = objects
        .get(name)
        .ok_or_else(|| TableError(format!("object `{name}` is not in the table")))?;
    let mut object = ObjectType::named(format!("stripe.{name}"));
    for (field_name, spec) in specs {
        let ty = field_type(objects, spec, depth, writing)
            .map_err(|TableError(e)| TableError(format!("{name}.{field_name}: {e}")))?;
        let mut field = Field::new(if spec.optional {
            Type::optional(ty)
        } else {
            ty
        });
        field.required = spec.required;
        field.doc = spec.doc.clone();
        field.allowed = spec.allowed.clone();
        field.max_length = spec.max_length;
        field.whole_on_update = spec.whole_on_update;
        object.fields.insert(field_name.clone(), field);
    }
    Ok(Type::object(object))
}

fn field_type(
    objects: &Objects,
    spec: &FieldSpec,
    depth: usize,
    writing: bool,
) -> Result<Type, TableError> {
    Ok(match spec.kind.as_str() {
        "any" => Type::Any,
        "bool" => Type::Bool,
        "int" => Type::Int,
        "decimal" => Type::Decimal,
        "minor_units" => Type::MinorUnits,
        "string" => Type::String,
        "list" => {
            let item = spec
                .item
                .as_deref()
                .ok_or_else(|| TableError("a list without an item type".into()))?;
            Type::list(field_type(objects, item, depth, writing)?)
        }
        "object" => match (&spec.reference, &spec.other_keys) {
            (Some(_), _) if depth + 1 > MAX_DEPTH => Type::Any,
            (Some(reference), _) => build_object(objects, reference, depth + 1, writing)?,
            (None, Some(other)) => {
                let value = scalar(other)?;
                let value = if writing {
                    Type::optional(value)
                } else {
                    value
                };
                Type::object(ObjectType::default().other_keys(value))
            }
            (None, None) => Type::Any,
        },
        other => return Err(TableError(format!("unknown type `{other}`"))),
    })
}

fn scalar(kind: &str) -> Result<Type, TableError> {
    match kind {
        "string" => Ok(Type::String),
        "any" => Ok(Type::Any),
        other => Err(TableError(format!("unknown map value type `{other}`"))),
    }
}
