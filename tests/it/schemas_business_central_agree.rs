//! Business Central's wire schema is written twice: once for the connector (what lint checks a
//! pipeline against) and once for the emulator (what `ferry sandbox` accepts). Field by field
//! they must agree, or a value lints clean and is then refused, or an emulator accepts what
//! lint would never let through.

use ferry::check::{Field, Type};

use crate::schemas_support::{assert_agree, object, plain};
use ferry::sandbox::business_central::schema::{self as emulator, EntitySet, Kind};

const PREFIX: &str = "business_central.";

/// Written by a pipeline but not taken from the body by the emulator, each for its reason.
const WRITTEN_ELSEWHERE: &[(&str, &str, &str)] = &[(
    "journalLines",
    "journalId",
    "picks the journal: the connector puts it in the URL (`journals({id})/journalLines`), where \
     the emulator takes it from",
)];

fn list_item(ty: &Type) -> Option<&Type> {
    match ty {
        Type::List(item) => Some(item),
        Type::Optional(inner) => list_item(inner),
        _ => None,
    }
}

/// What is wrong with `field` (named `name`) of the connector against the emulator's `set`, if
/// anything. `writing`: the field is one a pipeline may write, which the emulator must take.
fn disagreement(set: &EntitySet, name: &str, field: &Field, writing: bool) -> Option<String> {
    if let Some(item) = list_item(&field.ty) {
        let Some(lines) = set.lines.filter(|lines| *lines == name) else {
            return Some(format!(
                "{}.{name}: a list the emulator does not take",
                set.name
            ));
        };
        let lines = emulator::by_name(lines)?;
        let item = object(item)?;
        let problems: Vec<String> = item
            .fields
            .iter()
            .filter_map(|(n, f)| disagreement(lines, n, f, writing))
            .collect();
        return (!problems.is_empty()).then(|| problems.join("; "));
    }
    let Some(property) = set.property(name) else {
        return Some(format!(
            "{}.{name}: the emulator has no such property",
            set.name
        ));
    };
    let elsewhere = WRITTEN_ELSEWHERE
        .iter()
        .any(|(set_name, field, _)| *set_name == set.name && *field == name);
    if writing && !property.writable && !elsewhere {
        return Some(format!(
            "{}.{name}: lint lets a pipeline write it, the emulator ignores it (read-only)",
            set.name
        ));
    }
    let kinds_agree = matches!(
        (plain(&field.ty), property.kind),
        (Type::String, Kind::Text(_) | Kind::Choice(_) | Kind::Guid)
            | (Type::Decimal, Kind::Decimal)
            | (Type::Int, Kind::Integer)
            | (Type::Bool, Kind::Boolean)
            | (Type::Date, Kind::Date)
            | (Type::String | Type::Timestamp, Kind::DateTime)
    );
    if !kinds_agree {
        return Some(format!(
            "{}.{name}: {} for lint, {:?} in the emulator",
            set.name, field.ty, property.kind
        ));
    }
    if let (Some(allowed), Kind::Choice(choices)) = (&field.allowed, property.kind) {
        let mut lint: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let mut served: Vec<&str> = choices.to_vec();
        lint.sort_unstable();
        served.sort_unstable();
        if lint != served {
            return Some(format!(
                "{}.{name}: lint allows {lint:?}, the emulator {served:?}",
                set.name
            ));
        }
    }
    if let (Some(max), Kind::Text(length)) = (field.max_length, property.kind)
        && max != length
    {
        return Some(format!(
            "{}.{name}: at most {max} characters for lint, {length} in the emulator",
            set.name
        ));
    }
    None
}

#[test]
fn the_connector_and_the_emulator_agree_field_by_field() {
    let registry = ferry::connectors::schemas();
    let mut problems = Vec::new();
    let mut compared = 0;
    for (name, source) in &registry.sources {
        let Some(set_name) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(set) = emulator::by_name(set_name) else {
            problems.push(format!("{name}: the emulator serves no `{set_name}`"));
            continue;
        };
        let record = object(&source.record).expect("an object record");
        for (field_name, field) in &record.fields {
            compared += 1;
            problems.extend(disagreement(set, field_name, field, false));
        }
    }
    for (name, sink) in &registry.sinks {
        let Some(set_name) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(set) = emulator::by_name(set_name) else {
            problems.push(format!("{name}: the emulator serves no `{set_name}`"));
            continue;
        };
        let target = &registry.targets[&sink.accepts];
        let record = object(&target.record).expect("an object record");
        for (field_name, field) in &record.fields {
            compared += 1;
            problems.extend(disagreement(set, field_name, field, true));
        }
    }
    assert!(compared > 200, "only {compared} fields compared");
    assert_agree(&problems);
}
