//! Building the output object from the map's assignments: nested paths, `omit`, and missing
//! values that must never be written as null.

use std::sync::Arc;

use crate::diagnostics::{Code, Span};

use super::eval::{Program, State, eval};
use super::outcome::{Fault, RecordError};
use super::program::Node;
use super::{Map, Value};

/// `metadata.capsule_id = string(.id)`, compiled.
#[derive(Debug)]
pub(crate) struct Assignment {
    pub path: Vec<String>,
    /// The dotted target, for messages.
    pub target: String,
    pub value: Node,
    pub span: Span,
}

pub(crate) fn build(
    program: &Program,
    assignments: &[Assignment],
    state: &mut State,
) -> Result<Value, Fault> {
    let mut output = Map::with_capacity(assignments.len());
    for assignment in assignments {
        let value = eval(program, &assignment.value, state)?;
        if matches!(value, Value::Omit) {
            continue;
        }
        if let Some(inner) = missing_inside(&value) {
            let place = if inner.is_empty() {
                String::new()
            } else {
                format!(" (at `{inner}`)")
            };
            return Err(Fault::Failed(RecordError::new(
                Code::MissingFieldAtRuntime,
                assignment.value.span,
                format!(
                    "`{}` would be written from a value missing from the record{place}; handle \
                     it with `??` or `?.`",
                    assignment.target
                ),
            )));
        }
        insert(&mut output, &assignment.path, value).map_err(|prefix| {
            Fault::failed(
                Code::RuntimeType,
                assignment.span,
                format!(
                    "`{}` cannot be set: `{prefix}` already holds a value that is not an object",
                    assignment.target
                ),
            )
        })?;
    }
    Ok(Value::object(output))
}

/// Where a `Missing` hides in a value about to be written ("" for the value itself).
fn missing_inside(value: &Value) -> Option<String> {
    match value {
        Value::Missing => Some(String::new()),
        Value::List(items) => items.iter().enumerate().find_map(|(i, item)| {
            missing_inside(item).map(|inner| join(&format!("[{i}]"), &inner))
        }),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(key, item)| missing_inside(item).map(|inner| join(key, &inner))),
        _ => None,
    }
}

fn join(head: &str, tail: &str) -> String {
    match (tail.is_empty(), tail.starts_with('[')) {
        (true, _) => head.to_string(),
        (false, true) => format!("{head}{tail}"),
        (false, false) => format!("{head}.{tail}"),
    }
}

/// Sets `path` in `map`, creating nested objects; `Err(prefix)` when a prefix is not an object.
fn insert(map: &mut Map, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut current = map;
    for (depth, key) in parents.iter().enumerate() {
        let slot = current
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Arc::new(Map::new())));
        if let Value::Null = slot {
            *slot = Value::Object(Arc::new(Map::new()));
        }
        match slot {
            Value::Object(inner) => current = Arc::make_mut(inner),
            _ => return Err(parents[..=depth].join(".")),
        }
    }
    current.insert(last.clone(), value);
    Ok(())
}
