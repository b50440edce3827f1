//! Seeded drift: records of a target collection changed, deleted and added behind ferry's back,
//! each one recorded, so a test (or a person) can check that `ferry reconcile` finds every one
//! and nothing else.
//!
//! Each emulator says which of its collections can drift, and how, in
//! [`super::Emulator::drift`]; this module holds what they share: the plan, the record of what
//! was done, the errors, which records to touch and the values written. The sandbox serves it
//! at `POST /_sandbox/drift` (and lists what it did at `GET /_sandbox/drift`).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::ToSpan;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::emulator::Started;
use crate::diagnostics::Code;

/// Where the sandbox serves drift, beside the emulators' own prefixes.
pub const DRIFT_PATH: &str = "/_sandbox/drift";

/// How much drift to make in one collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftPlan {
    /// Records ferry made whose field is edited.
    pub change: usize,
    /// Records ferry made that are deleted.
    pub delete: usize,
    /// Records added with no cross reference of ferry's.
    pub add: usize,
    /// The fields a change may edit (each change edits one); empty: the emulator's default.
    pub fields: Vec<String>,
}

/// What was done to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    Changed,
    Deleted,
    Added,
}

/// One record of what drift did: which record, and for a change the field and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftAction {
    pub action: DriftKind,
    pub collection: String,
    pub id: String,
    /// The field changed (dotted for a nested one: `address.city`); none for a delete or add.
    pub field: Option<String>,
    /// The field's value before a change; the whole record before a delete.
    pub before: Option<Value>,
    /// The field's value after a change; the whole record added.
    pub after: Option<Value>,
}

/// A drift request, as `POST /_sandbox/drift` takes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRequest {
    /// The connection kind of the emulator (`stripe`, `capsule`, ...).
    pub system: String,
    pub collection: String,
    #[serde(default)]
    pub change: usize,
    #[serde(default)]
    pub delete: usize,
    #[serde(default)]
    pub add: usize,
    /// The same seed makes the same drift of the same data; none picks one (and says which).
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub fields: Vec<String>,
}

/// What one drift request did: the request's seed (the one picked, if none was given) and
/// every action, changes first, then deletes, then additions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRecord {
    pub system: String,
    pub collection: String,
    pub seed: u64,
    pub actions: Vec<DriftAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    #[error("the sandbox serves no system `{system}` (it serves {serves})")]
    UnknownSystem { system: String, serves: String },
    #[error("{system}'s collection `{collection}` cannot drift (these can: {can})")]
    CannotDrift {
        system: String,
        collection: String,
        can: String,
    },
    #[error(
        "{system}'s `{collection}` holds {available} records ferry made{with}, fewer than the {asked} {to}"
    )]
    TooFewRecords {
        system: String,
        collection: String,
        available: usize,
        asked: usize,
        /// What the records must have besides (` with a value in phone`), or nothing.
        with: String,
        to: &'static str,
    },
    #[error(
        "{system}'s `{collection}` is a ledger: drift there reverses posted entries (`change`), and cannot delete, add or edit fields"
    )]
    OnlyReversal { system: String, collection: String },
    #[error(
        "{system}'s `{collection}` has no field `{field}` that drift can change (it can change {can})"
    )]
    UnknownField {
        system: String,
        collection: String,
        field: String,
        can: String,
    },
}

impl DriftError {
    /// The diagnostic code `ferry explain` explains.
    pub fn code(&self) -> Code {
        match self {
            DriftError::UnknownSystem { .. } => Code::DriftUnknownSystem,
            DriftError::CannotDrift { .. } => Code::DriftUnknownCollection,
            DriftError::TooFewRecords { .. } => Code::DriftTooFewRecords,
            DriftError::UnknownField { .. } => Code::DriftUnknownField,
            DriftError::OnlyReversal { .. } => Code::DriftOnlyReversal,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            DriftError::UnknownSystem { .. } | DriftError::CannotDrift { .. } => {
                StatusCode::NOT_FOUND
            }
            DriftError::TooFewRecords { .. } => StatusCode::CONFLICT,
            DriftError::UnknownField { .. } | DriftError::OnlyReversal { .. } => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

/// A field drift may change, and the kind of value it holds.
#[derive(Debug, Clone, Copy)]
pub struct DriftField {
    pub name: &'static str,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text: a name, a line of an address.
    Text,
    Email,
    /// A phone number in E.164.
    Phone,
    /// A calendar date (`2025-11-24`), moved by days.
    Date,
    /// An amount of money (a JSON number in the currency's major unit), moved by cents.
    Amount,
    /// An amount of money in the currency's minor unit (a JSON integer, as Stripe's `amount`),
    /// moved by up to 5,000 of them.
    MinorUnits,
}

impl DriftField {
    pub const fn text(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::Text,
        }
    }

    pub const fn email(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::Email,
        }
    }

    pub const fn phone(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::Phone,
        }
    }

    pub const fn date(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::Date,
        }
    }

    pub const fn amount(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::Amount,
        }
    }

    pub const fn minor_units(name: &'static str) -> Self {
        DriftField {
            name,
            kind: FieldKind::MinorUnits,
        }
    }

    /// A new value for the field, unlike `before` and unlike any value a pipeline would write:
    /// text edited, a date moved by one to four weeks, an amount by cents up or down.
    pub fn edited(&self, before: &Value, rng: &mut StdRng) -> Value {
        match self.kind {
            FieldKind::Date => {
                let days = rng.random_range(1..=28);
                let date = before.as_str().and_then(|d| d.parse::<Date>().ok());
                let moved = date.and_then(|d| d.checked_add(days.days()).ok());
                Value::String(moved.unwrap_or(EDITED_DATE).to_string())
            }
            FieldKind::Amount => {
                let amount = before.to_string().trim_matches('"').parse::<Decimal>();
                let cents = Decimal::new(rng.random_range(1..=5_000), 2);
                let moved = match amount {
                    Ok(amount) if amount > cents => amount - cents,
                    Ok(amount) => amount + cents,
                    Err(_) => cents,
                };
                serde_json::from_str(&moved.normalize().to_string()).unwrap_or(Value::Null)
            }
            FieldKind::MinorUnits => {
                let units = rng.random_range(1..=5_000);
                let moved = match before.as_i64() {
                    Some(amount) if amount > units => amount - units,
                    Some(amount) => amount + units,
                    None => units,
                };
                Value::from(moved)
            }
            kind => {
                let token = token(rng);
                Value::String(match (kind, before.as_str()) {
                    (FieldKind::Email, _) => format!("edited.{token}@example.net"),
                    (FieldKind::Phone, _) => {
                        format!("+6149{}", rng.random_range(1_000_000..9_999_999))
                    }
                    (_, Some(text)) if !text.is_empty() => format!("{text} (edited {token})"),
                    _ => format!("Edited {token}"),
                })
            }
        }
    }
}

/// What an edited date that held no date becomes.
const EDITED_DATE: Date = jiff::civil::date(2020, 2, 29);

/// Six lowercase letters and digits, to tell drift's values apart.
pub fn token(rng: &mut StdRng) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// What an emulator's drift answers: every action, or why none was taken.
pub type Drifted = Result<Vec<DriftAction>, DriftError>;

/// A collection as its emulator holds it, for [`apply`] to change, delete and add records in,
/// each the way the system's own screens would (a new version, an event).
pub trait DriftTarget {
    /// The ids of the records ferry made, in the emulator's order.
    fn ferrys(&self) -> Vec<String>;
    /// The value at `field` (dotted for a nested one) of record `id`, null when unset.
    fn field(&self, id: &str, field: &str) -> Value;
    /// Edits the field as the system's screens would; whether the system took the edit (one
    /// it refuses is not recorded as drift).
    fn set_field(&mut self, id: &str, field: &str, value: Value) -> bool;
    /// Whether record `id` can be deleted the way the system's users delete it; why not if
    /// not (a Stripe price never can).
    fn deletable(&self, _id: &str) -> Result<(), &'static str> {
        Ok(())
    }
    /// Deletes record `id`; the record as it was.
    fn delete(&mut self, id: &str) -> Option<Value>;
    /// Adds a record no pipeline made, named after `token`; its id and the record. Drift never
    /// changes or deletes it later.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)>;
}

/// Carries out `plan` in `target`: changes first, then deletes, then additions.
pub fn apply(
    collection: &DriftableCollection,
    target: &mut impl DriftTarget,
    plan: &DriftPlan,
    rng: &mut StdRng,
) -> Drifted {
    let has_value = |id: &str, field: &str| match target.field(id, field) {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        _ => true,
    };
    let can_delete = |id: &str| target.deletable(id);
    let picked = Picked::new(
        collection,
        target.ferrys(),
        plan,
        rng,
        has_value,
        can_delete,
    )?;
    let action = |action, id, field: Option<&str>, before, after| DriftAction {
        action,
        collection: collection.name.to_string(),
        id,
        field: field.map(str::to_string),
        before,
        after,
    };
    let mut actions = Vec::new();
    for (id, field) in picked.changes {
        let before = target.field(&id, field.name);
        let after = field.edited(&before, rng);
        // The record says what was done: an edit the system refused is no drift.
        if !target.set_field(&id, field.name, after.clone()) {
            tracing::warn!(record = %id, field = field.name, "the emulator refused the edit; not recorded");
            continue;
        }
        let (before, after) = (Some(before), Some(after));
        actions.push(action(
            DriftKind::Changed,
            id,
            Some(field.name),
            before,
            after,
        ));
    }
    for id in picked.deletes {
        let Some(before) = target.delete(&id) else {
            tracing::warn!(record = %id, "the emulator refused the delete; not recorded");
            continue;
        };
        actions.push(action(DriftKind::Deleted, id, None, Some(before), None));
    }
    for _ in 0..plan.add {
        let token = token(rng);
        if let Some((id, record)) = target.add(&token, rng) {
            actions.push(action(DriftKind::Added, id, None, None, Some(record)));
        }
    }
    Ok(actions)
}

/// One collection that can drift: what an emulator tells [`Picked::new`].
#[derive(Debug, Clone, Copy)]
pub struct DriftableCollection {
    pub system: &'static str,
    pub name: &'static str,
    /// The fields a change may edit.
    pub fields: &'static [DriftField],
    /// What a change edits when the caller names no fields: fields every shipped pipeline that
    /// writes the collection sets.
    pub default_fields: &'static [&'static str],
}

/// The records a plan touches: `change` records, each with the field it edits (one that
/// `has_value` says the record holds a value in), then `delete` others (ones `can_delete`
/// allows), drawn from `candidates` (the ids of records ferry made, in the emulator's order).
#[derive(Debug)]
pub struct Picked {
    pub changes: Vec<(String, DriftField)>,
    pub deletes: Vec<String>,
}

impl Picked {
    pub fn new(
        collection: &DriftableCollection,
        mut candidates: Vec<String>,
        plan: &DriftPlan,
        rng: &mut StdRng,
        has_value: impl Fn(&str, &str) -> bool,
        can_delete: impl Fn(&str) -> Result<(), &'static str>,
    ) -> Result<Picked, DriftError> {
        let names: Vec<&str> = if plan.fields.is_empty() {
            collection.default_fields.to_vec()
        } else {
            plan.fields.iter().map(String::as_str).collect()
        };
        let fields = names
            .iter()
            .map(|name| {
                collection
                    .fields
                    .iter()
                    .find(|field| field.name == *name)
                    .copied()
                    .ok_or_else(|| DriftError::UnknownField {
                        system: collection.system.to_string(),
                        collection: collection.name.to_string(),
                        field: name.to_string(),
                        can: list(collection.fields.iter().map(|f| f.name)),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let too_few = |available, asked, with: String, to| DriftError::TooFewRecords {
            system: collection.system.to_string(),
            collection: collection.name.to_string(),
            available,
            asked,
            with,
            to,
        };
        let asked = plan.change + plan.delete;
        if asked > candidates.len() {
            return Err(too_few(
                candidates.len(),
                asked,
                String::new(),
                "to change and delete",
            ));
        }
        // A Fisher-Yates shuffle: any prefix is a uniform sample.
        for i in 0..candidates.len() {
            let j = rng.random_range(i..candidates.len());
            candidates.swap(i, j);
        }
        // A change edits a field the record has a value in: one the pipeline wrote, so one
        // reconcile compares (a field the pipeline leaves out is no drift of its).
        let mut changes = Vec::new();
        let mut rest = Vec::new();
        for id in candidates {
            let held: Vec<DriftField> = if changes.len() < plan.change {
                let held = fields.iter().filter(|f| has_value(&id, f.name));
                held.copied().collect()
            } else {
                Vec::new()
            };
            if held.is_empty() {
                rest.push(id);
            } else {
                let field = held[rng.random_range(0..held.len())];
                changes.push((id, field));
            }
        }
        if changes.len() < plan.change {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let with = format!(" with a value in {}", names.join(" or "));
            return Err(too_few(changes.len(), plan.change, with, "to change"));
        }
        let mut cannot = None;
        let mut deletes = Vec::new();
        for id in rest {
            if deletes.len() == plan.delete {
                break;
            }
            match can_delete(&id) {
                Ok(()) => deletes.push(id),
                Err(why) => cannot = cannot.or(Some(why)),
            }
        }
        if deletes.len() < plan.delete {
            let with = match cannot {
                Some(why) => format!(" that can be deleted besides those changed ({why})"),
                None => " besides those changed".to_string(),
            };
            return Err(too_few(deletes.len(), plan.delete, with, "to delete"));
        }
        Ok(Picked { changes, deletes })
    }
}

/// `collection`, or the error that names the collections of the system that can drift.
pub fn driftable<'a>(
    collections: &'a [DriftableCollection],
    system: &str,
    collection: &str,
) -> Result<&'a DriftableCollection, DriftError> {
    collections
        .iter()
        .find(|c| c.name == collection)
        .ok_or_else(|| DriftError::CannotDrift {
            system: system.to_string(),
            collection: collection.to_string(),
            can: list(collections.iter().map(|c| c.name)),
        })
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// A field of an item of the record's list `list`, named as a reconcile names it
/// (`lines[0].Price`): the item's place and its field.
pub fn item_field<'a>(field: &'a str, list: &str) -> Option<(usize, &'a str)> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    let (index, name) = rest.split_once("].")?;
    Some((index.parse().ok()?, name))
}

/// The value at a dotted path (`address.city`), null when absent.
pub fn value_at(value: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(value, |v, name| v.get(name))
        .cloned()
        .unwrap_or(Value::Null)
}

/// Carries out `request` against the started emulators.
pub fn drift(
    states: &[(&'static str, Arc<dyn Started>)],
    request: &DriftRequest,
) -> Result<DriftRecord, DriftError> {
    let Some((_, state)) = states.iter().find(|(name, _)| *name == request.system) else {
        return Err(DriftError::UnknownSystem {
            system: request.system.clone(),
            serves: list(states.iter().map(|(name, _)| *name)),
        });
    };
    let seed = request.seed.unwrap_or_else(|| rand::rng().random());
    let mut rng = StdRng::seed_from_u64(seed);
    let plan = DriftPlan {
        change: request.change,
        delete: request.delete,
        add: request.add,
        fields: request.fields.clone(),
    };
    let actions = state.drift(&request.collection, &plan, &mut rng)?;
    Ok(DriftRecord {
        system: request.system.clone(),
        collection: request.collection.clone(),
        seed,
        actions,
    })
}

/// The sandbox's drift endpoint: the started emulators, and every drift done so far.
#[derive(Clone)]
struct Admin {
    states: Arc<Vec<(&'static str, Arc<dyn Started>)>>,
    done: Arc<Mutex<Vec<DriftRecord>>>,
}

/// `POST /_sandbox/drift` makes drift and answers its record; `GET` lists every record so far.
pub fn router(states: Vec<(&'static str, Arc<dyn Started>)>) -> Router {
    let admin = Admin {
        states: Arc::new(states),
        done: Arc::default(),
    };
    Router::new()
        .route(DRIFT_PATH, get(done).post(make))
        .with_state(admin)
}

async fn make(State(admin): State<Admin>, body: axum::body::Bytes) -> Response {
    let request: DriftRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"code": null, "message": format!("not a drift request: {error}")}})),
            )
                .into_response();
        }
    };
    match drift(&admin.states, &request) {
        Ok(record) => {
            admin
                .done
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(record.clone());
            Json(record).into_response()
        }
        Err(error) => (
            error.status(),
            Json(json!({"error": {"code": error.code().as_str(), "message": error.to_string()}})),
        )
            .into_response(),
    }
}

async fn done(State(admin): State<Admin>) -> Response {
    let done = admin
        .done
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    Json(done).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEOPLE: DriftableCollection = DriftableCollection {
        system: "crm",
        name: "people",
        fields: &[DriftField::text("name"), DriftField::email("email")],
        default_fields: &["name"],
    };

    fn all(_: &str, _: &str) -> bool {
        true
    }

    fn deletable(_: &str) -> Result<(), &'static str> {
        Ok(())
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("p{i}")).collect()
    }

    fn plan(change: usize, delete: usize, fields: &[&str]) -> DriftPlan {
        DriftPlan {
            change,
            delete,
            add: 0,
            fields: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn the_same_seed_picks_the_same_distinct_records() {
        let pick = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let picked =
                Picked::new(&PEOPLE, ids(10), &plan(3, 2, &[]), &mut rng, all, deletable).unwrap();
            let changed: Vec<String> = picked.changes.iter().map(|(id, _)| id.clone()).collect();
            (changed, picked.deletes)
        };
        let (changed, deleted) = pick(7);
        assert_eq!((changed.clone(), deleted.clone()), pick(7));
        assert_eq!((changed.len(), deleted.len()), (3, 2));
        let mut all: Vec<&String> = changed.iter().chain(&deleted).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 5);
        assert_ne!((changed, deleted), pick(8));
    }

    #[test]
    fn a_change_edits_a_named_field_or_the_default() {
        let mut rng = StdRng::seed_from_u64(1);
        let picked =
            Picked::new(&PEOPLE, ids(4), &plan(4, 0, &[]), &mut rng, all, deletable).unwrap();
        assert!(picked.changes.iter().all(|(_, f)| f.name == "name"));
        let picked = Picked::new(
            &PEOPLE,
            ids(4),
            &plan(4, 0, &["email"]),
            &mut rng,
            all,
            deletable,
        )
        .unwrap();
        assert!(picked.changes.iter().all(|(_, f)| f.name == "email"));
    }

    #[test]
    fn a_change_edits_only_a_field_the_record_has_a_value_in() {
        // Odd people have an email, even ones none: a pipeline writes none for them.
        let has_value = |id: &str, field: &str| field == "name" || id.ends_with(['1', '3', '5']);
        for seed in 0..20 {
            let mut rng = StdRng::seed_from_u64(seed);
            let plan = plan(3, 3, &["email"]);
            let picked =
                Picked::new(&PEOPLE, ids(6), &plan, &mut rng, has_value, deletable).unwrap();
            let mut changed: Vec<&str> = picked.changes.iter().map(|(id, _)| id.as_str()).collect();
            changed.sort();
            assert_eq!(changed, ["p1", "p3", "p5"]);
            assert_eq!(picked.deletes.len(), 3);
        }
        let mut rng = StdRng::seed_from_u64(1);
        let error = Picked::new(
            &PEOPLE,
            ids(6),
            &plan(4, 0, &["email"]),
            &mut rng,
            has_value,
            deletable,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "crm's `people` holds 3 records ferry made with a value in email, fewer than the 4 to change"
        );
        let error = Picked::new(
            &PEOPLE,
            ids(6),
            &plan(3, 4, &["email"]),
            &mut rng,
            has_value,
            deletable,
        )
        .unwrap_err();
        assert_eq!(error.code(), Code::DriftTooFewRecords);
    }

    #[test]
    fn more_than_there_is_or_an_unknown_field_is_refused() {
        let mut rng = StdRng::seed_from_u64(1);
        let error =
            Picked::new(&PEOPLE, ids(4), &plan(3, 2, &[]), &mut rng, all, deletable).unwrap_err();
        assert_eq!(error.code(), Code::DriftTooFewRecords);
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(
            error.to_string(),
            "crm's `people` holds 4 records ferry made, fewer than the 5 to change and delete"
        );
        let error = Picked::new(
            &PEOPLE,
            ids(4),
            &plan(1, 0, &["phone"]),
            &mut rng,
            all,
            deletable,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "crm's `people` has no field `phone` that drift can change (it can change name, email)"
        );
        let error = driftable(&[PEOPLE], "crm", "deals").unwrap_err();
        assert_eq!(
            error.to_string(),
            "crm's collection `deals` cannot drift (these can: people)"
        );
    }

    #[test]
    fn an_edited_value_differs_from_what_was_there() {
        let mut rng = StdRng::seed_from_u64(3);
        for field in PEOPLE.fields {
            let before = json!("Ann Lee");
            let after = field.edited(&before, &mut rng);
            assert_ne!(after, before);
            assert!(after.is_string());
        }
        let email = DriftField::email("email").edited(&Value::Null, &mut rng);
        assert!(email.as_str().unwrap().ends_with("@example.net"), "{email}");
    }

    #[test]
    fn an_edited_date_or_amount_moves_and_keeps_its_kind() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..50 {
            let date = DriftField::date("orderDate").edited(&json!("2025-11-24"), &mut rng);
            let moved = date.as_str().unwrap().parse::<Date>().unwrap();
            let days = jiff::civil::date(2025, 11, 24)
                .until(moved)
                .unwrap()
                .get_days();
            assert!((1..=28).contains(&days), "{date}");
            let amount = DriftField::amount("unitPrice").edited(&json!(125.50), &mut rng);
            let moved: Decimal = amount.to_string().parse().unwrap();
            assert!(
                moved > Decimal::ZERO && moved != Decimal::new(12550, 2),
                "{amount}"
            );
            assert!(moved.scale() <= 2, "{amount}");
        }
        let small = DriftField::amount("unitPrice").edited(&json!(0.01), &mut rng);
        assert!(small.to_string().parse::<Decimal>().unwrap() > Decimal::new(1, 2));
    }

    /// People held in a map; `refuse` names the records whose system refuses every change.
    struct People {
        names: std::collections::BTreeMap<String, Value>,
        refuse: Vec<String>,
    }

    impl DriftTarget for People {
        fn ferrys(&self) -> Vec<String> {
            self.names.keys().cloned().collect()
        }

        fn field(&self, id: &str, _: &str) -> Value {
            self.names.get(id).cloned().unwrap_or(Value::Null)
        }

        fn set_field(&mut self, id: &str, _: &str, value: Value) -> bool {
            if self.refuse.iter().any(|r| r == id) {
                return false;
            }
            self.names.insert(id.to_string(), value);
            true
        }

        fn delete(&mut self, id: &str) -> Option<Value> {
            if self.refuse.iter().any(|r| r == id) {
                return None;
            }
            self.names.remove(id)
        }

        fn add(&mut self, _: &str, _: &mut StdRng) -> Option<(String, Value)> {
            None
        }
    }

    #[test]
    fn what_the_system_refuses_is_not_recorded_as_done() {
        let names = ids(4)
            .into_iter()
            .map(|id| (id.clone(), Value::String(format!("Name {id}"))))
            .collect();
        let mut people = People {
            names,
            refuse: ids(4),
        };
        let drifted = apply(
            &PEOPLE,
            &mut people,
            &plan(2, 2, &[]),
            &mut StdRng::seed_from_u64(3),
        );
        assert_eq!(drifted.unwrap(), Vec::new());
        assert!(
            people
                .names
                .values()
                .all(|v| v.as_str().unwrap().starts_with("Name p"))
        );

        people.refuse.clear();
        let drifted = apply(
            &PEOPLE,
            &mut people,
            &plan(2, 2, &[]),
            &mut StdRng::seed_from_u64(3),
        );
        assert_eq!(drifted.unwrap().len(), 4);
    }
}
