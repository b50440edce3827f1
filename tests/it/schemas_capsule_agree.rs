//! Capsule's party is written twice: once as the connector's schema (what lint checks a pipeline
//! against) and once as the emulator's rules (`sandbox/capsule/input.rs` and `party.rs`). Field
//! by field they must agree: every field lint lets a pipeline write, the emulator takes and
//! serves back; every field lint requires, the emulator refuses to go without; every field a
//! source yields, the emulator serves with a value of its type.

use std::net::SocketAddr;

use ferry::check::{Field, ObjectType, Type};
use ferry::sandbox::capsule::party::PartyKind;
use ferry::sandbox::capsule::{CapsuleConfig, DEFAULT_TOKEN};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Map, Value, json};

use crate::schemas_support::{assert_agree, object, source, target};

/// The ids a write may refer to.
struct Ids {
    user: u64,
    team: u64,
    organisation: u64,
}

struct Emulator {
    handle: SandboxHandle,
    client: reqwest::Client,
    base: String,
    ids: Ids,
}

async fn start(seed: Option<u64>) -> Emulator {
    ferry::init_tls();
    let sandbox = Sandbox::builder()
        .seed(seed)
        .capsule(CapsuleConfig {
            people: 40,
            ..CapsuleConfig::default()
        })
        .build();
    let ids = {
        let data = sandbox.capsule().unwrap().data();
        Ids {
            user: data.users[0].id,
            team: data.teams[0].id,
            organisation: 0,
        }
    };
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("{}/capsule/api/v2", handle.base_url());
    let mut emulator = Emulator {
        handle,
        client: reqwest::Client::new(),
        base,
        ids,
    };
    let (status, organisation) = emulator
        .post(json!({"type": "organisation", "name": "Sample Ltd"}))
        .await;
    assert_eq!(status, 201, "{organisation}");
    emulator.ids.organisation = organisation["party"]["id"].as_u64().unwrap();
    emulator
}

impl Emulator {
    async fn post(&self, party: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/parties", self.base))
            .bearer_auth(DEFAULT_TOKEN)
            .json(&json!({"party": party}))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }
}

/// A value lint accepts for `field` (at `path`): text for text, an existing record for a
/// reference by id, and every field of a nested object or list item.
fn sample(path: &str, field: &Field, ids: &Ids) -> Value {
    if let Some(values) = &field.allowed {
        return json!(values[0]);
    }
    match &field.ty {
        Type::Optional(inner) => sample(path, &Field::new((**inner).clone()), ids),
        Type::List(item) => json!([sample(path, &Field::new((**item).clone()), ids)]),
        Type::Object(object) => Value::Object(
            object
                .fields
                .iter()
                .map(|(name, f)| (name.clone(), sample(&format!("{path}.{name}"), f, ids)))
                .collect(),
        ),
        Type::Int => match path {
            "owner.id" => json!(ids.user),
            "team.id" => json!(ids.team),
            "organisation.id" => json!(ids.organisation),
            other => panic!("no sample id for {other}"),
        },
        Type::String if path == "emailAddresses.address" => json!("ada@example.com"),
        Type::String if path == "websites.address" => json!("example.com"),
        Type::String => json!(format!("Sample {path}")),
        other => panic!("no sample for {path}: {other}"),
    }
}

/// Whether `served` holds everything `written` says: the same scalars, every key of an object,
/// and every item of a list in some served item.
fn holds(served: &Value, written: &Value) -> bool {
    match written {
        Value::Object(fields) => fields.iter().all(|(k, v)| holds(&served[k], v)),
        Value::Array(items) => items.iter().all(|item| {
            served
                .as_array()
                .is_some_and(|served| served.iter().any(|s| holds(s, item)))
        }),
        scalar => served == scalar,
    }
}

/// The kind of party a field belongs to: a person's name is its first and last name, an
/// organisation's is `name`.
fn kind_for(field: &str) -> PartyKind {
    match field {
        "name" => PartyKind::Organisation,
        _ => PartyKind::Person,
    }
}

/// The smallest party of `kind` the emulator accepts.
fn base(kind: PartyKind) -> Map<String, Value> {
    let base = match kind {
        PartyKind::Person => json!({"type": "person", "lastName": "Lovelace"}),
        PartyKind::Organisation => json!({"type": "organisation", "name": "Analytical Ltd"}),
    };
    base.as_object().unwrap().clone()
}

#[tokio::test]
async fn every_field_lint_lets_a_pipeline_write_the_emulator_takes_and_serves_back() {
    let emulator = start(None).await;
    let mut problems = Vec::new();
    for (name, field) in &target("capsule.party").fields {
        if name == "type" {
            continue;
        }
        let written = sample(name, field, &emulator.ids);
        let mut party = base(kind_for(name));
        party.insert(name.clone(), written.clone());
        let (status, created) = emulator.post(Value::Object(party)).await;
        if status != 201 {
            problems.push(format!("{name}: refused ({status}): {created}"));
            continue;
        }
        let id = created["party"]["id"].as_u64().unwrap();
        let served = emulator
            .get(&format!("/parties/{id}?embed=tags,fields"))
            .await;
        if !holds(&served["party"][name], &written) {
            problems.push(format!(
                "{name}: wrote {written}, the emulator serves {}",
                served["party"][name]
            ));
        }
    }
    emulator.handle.shutdown().await.unwrap();
    assert_agree(&problems);
}

/// Every field lint requires, with the path of the object it is required in.
fn required(path: &str, record: &ObjectType, found: &mut Vec<(String, String)>) {
    for (name, field) in &record.fields {
        if field.required {
            found.push((path.to_string(), name.clone()));
        }
        let item = match &field.ty {
            Type::List(item) => object(item),
            _ => None,
        };
        if let Some(item) = item {
            let path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            required(&path, item, found);
        }
    }
}

#[tokio::test]
async fn every_field_lint_requires_the_emulator_refuses_to_go_without() {
    let emulator = start(None).await;
    let mut found = Vec::new();
    required("", target("capsule.party"), &mut found);
    assert!(found.len() >= 5, "{found:?}");
    let mut problems = Vec::new();
    for (list, name) in &found {
        let mut party = base(PartyKind::Person);
        if list.is_empty() {
            party.remove(name);
        } else {
            let field = &target("capsule.party").fields[list];
            let mut item = sample(list, field, &emulator.ids);
            item[0].as_object_mut().unwrap().remove(name);
            party.insert(list.clone(), item);
        }
        let (status, answer) = emulator.post(Value::Object(party)).await;
        let named = answer["errors"]
            .as_array()
            .is_some_and(|errors| errors.iter().any(|e| e["field"] == name.as_str()));
        if status != 422 || !named {
            problems.push(format!(
                "{list}.{name}: left out, the emulator answers {status} {answer}"
            ));
        }
    }
    emulator.handle.shutdown().await.unwrap();
    assert_agree(&problems);
}

/// What is wrong with `value` (at `path`) as a value of lint's `ty`, appended to `problems`.
fn fits(
    path: &str,
    ty: &Type,
    allowed: Option<&Vec<String>>,
    value: &Value,
    problems: &mut Vec<String>,
) {
    match (ty, value) {
        (Type::Optional(_) | Type::Any, Value::Null) | (Type::Any, _) => {}
        (Type::Optional(inner), _) => fits(path, inner, allowed, value, problems),
        (Type::String, Value::String(text)) => {
            if let Some(allowed) = allowed.filter(|a| !a.contains(text)) {
                problems.push(format!("{path}: `{text}` is not one of {allowed:?}"));
            }
        }
        (Type::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        (Type::Bool, Value::Bool(_)) => {}
        (Type::List(item), Value::Array(items)) => {
            for value in items {
                fits(&format!("{path}[]"), item, None, value, problems);
            }
        }
        (Type::Object(object), Value::Object(_)) => {
            for (name, field) in &object.fields {
                let path = format!("{path}.{name}");
                match value.get(name) {
                    Some(v) => fits(&path, &field.ty, field.allowed.as_ref(), v, problems),
                    None => problems.push(format!("{path}: the emulator serves no such key")),
                }
            }
        }
        _ => problems.push(format!(
            "{path}: {ty} for lint, the emulator serves {value}"
        )),
    }
}

/// Fields a source yields for one kind of party only, as the connector's docs say.
fn belongs_to(field: &Field, kind: &str) -> bool {
    let doc = field.doc.as_deref().unwrap_or_default();
    match kind {
        "person" => !doc.starts_with("Organisations only"),
        _ => !doc.starts_with("People only"),
    }
}

#[tokio::test]
async fn every_field_a_source_yields_the_emulator_serves_with_a_value_of_its_type() {
    let emulator = start(Some(7)).await;
    let page = emulator.get("/parties?perPage=100&embed=tags,fields").await;
    let parties = page["parties"].as_array().unwrap();
    let mut problems = Vec::new();
    for kind in ["person", "organisation"] {
        let of_kind: Vec<&Value> = parties.iter().filter(|p| p["type"] == kind).collect();
        assert!(of_kind.len() >= 5, "only {} {kind}s", of_kind.len());
        for (name, field) in &source("capsule.parties").fields {
            let present = of_kind.iter().filter(|p| p.get(name).is_some()).count();
            match (belongs_to(field, kind), present) {
                (true, 0) => problems.push(format!("{kind}.{name}: the emulator never serves it")),
                (false, n) if n > 0 => {
                    problems.push(format!("{kind}.{name}: the emulator serves it on {n}"))
                }
                _ => {}
            }
            for party in of_kind.iter().filter_map(|p| p.get(name)) {
                fits(
                    &format!("{kind}.{name}"),
                    &field.ty,
                    field.allowed.as_ref(),
                    party,
                    &mut problems,
                );
            }
        }
    }
    emulator.handle.shutdown().await.unwrap();
    problems.dedup();
    assert_agree(&problems);
}
