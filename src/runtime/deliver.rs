//! Delivering one mapped record: find its target (by cross reference, then by match key),
//! then create it, update what changed, or leave it alone.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::diff;
use super::job::{Job, Step};
use super::listing::Listing;
use crate::connectors::{Connector, ConnectorError, MatchKey, TargetRecord, Write};
use crate::store::{CrossReferenceSnapshot, IdempotencyRecord, Operation, Store, StoreError};

/// What delivering a record will do.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Create {
        fields: Value,
    },
    Update {
        current: TargetRecord,
        changes: Value,
        paths: Vec<String>,
    },
    Unchanged {
        current: TargetRecord,
    },
}

impl Plan {
    pub fn operation(&self) -> Operation {
        match self {
            Plan::Create { .. } => Operation::Create,
            Plan::Update { .. } => Operation::Update,
            Plan::Unchanged { .. } => Operation::Noop,
        }
    }
}

/// A delivered record: the target as it is now and what was done to it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub target: TargetRecord,
    pub operation: Operation,
    pub fields_changed: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a plan found its target record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Through the record's own cross reference.
    ByLink,
    /// By the sink's match keys: the target may belong to another source record.
    ByMatch,
    /// Not at all: the plan creates it.
    Nowhere,
}

/// Decides what to do with `mapped`, the record linked by `link_id`, reading but not writing;
/// `snapshot` may hold the link already, and `listing` the target (a reconcile's).
#[allow(clippy::too_many_arguments)]
pub async fn plan(
    step: &Step,
    sink: &Connector,
    listing: Option<&Listing>,
    store: &Store,
    snapshot: &CrossReferenceSnapshot,
    link_id: &str,
    mapped: &Value,
) -> Result<(Plan, Found), DeliveryError> {
    let collection = &step.sink.stream;
    let target_collection = step.sink.collection();
    let linked = match snapshot.page_link(&target_collection, link_id) {
        Some(known) => known.map(str::to_string),
        None => store.target_id(&target_collection, link_id).await?,
    };
    let mut current = None;
    let mut found = Found::Nowhere;
    if let Some(target_id) = linked {
        // Gone from the target (deleted by hand): found by match key or made again.
        current = match listing.and_then(|listing| listing.get(&target_id)) {
            Some(listed) => Some(listed.clone()),
            None => sink.get(collection, &target_id).await?,
        };
        found = Found::ByLink;
    }
    if current.is_none() {
        let keys = match_keys(step, mapped);
        if !keys.is_empty() {
            current = match listing.and_then(|listing| listing.find(&keys)) {
                Some(listed) => Some(listed.clone()),
                None => sink.find(collection, &keys).await?,
            };
            found = Found::ByMatch;
        }
    }
    if current.is_none() {
        found = Found::Nowhere;
    }
    let plan = match current {
        None => Plan::Create {
            fields: mapped.clone(),
        },
        Some(current) => {
            let mapped = without_create_only(step, mapped);
            let (changes, paths) = diff::changes(&mapped, &current.data, &step.target);
            if paths.is_empty() {
                Plan::Unchanged { current }
            } else {
                Plan::Update {
                    current,
                    changes,
                    paths,
                }
            }
        }
    };
    Ok((plan, found))
}

/// `mapped` without the fields the sink writes only when it creates the record
/// (`only on create currencyCode`): an update never changes them.
fn without_create_only(step: &Step, mapped: &Value) -> Value {
    let mut mapped = mapped.clone();
    for path in &step.only_on_create {
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(last) = parts.pop() else { continue };
        let parent = parts
            .iter()
            .try_fold(&mut mapped, |value, part| value.get_mut(*part));
        if let Some(Value::Object(fields)) = parent {
            fields.remove(last);
        }
    }
    mapped
}

/// The target id the store links the record to (`linked`) when `plan` did not find the target
/// there: it was deleted behind ferry's back.
pub fn broken_link<'a>(plan: &Plan, linked: Option<&'a str>) -> Option<&'a str> {
    let found = match plan {
        Plan::Create { .. } => None,
        Plan::Update { current, .. } | Plan::Unchanged { current } => Some(current.id.as_str()),
    };
    linked.filter(|linked| Some(*linked) != found)
}

/// The store's record of the write `plan` will send, kept in flight until the write's cross
/// reference and audit entry are durable; `None` when the plan sends nothing. `broken_link`:
/// the deleted target a create replaces, which gives the create a key of its own (the first
/// create's key would have the target replay that create's answer: the deleted record).
pub fn in_flight(
    job: &Job,
    step: &Step,
    link_id: &str,
    plan: &Plan,
    broken_link: Option<&str>,
) -> Option<IdempotencyRecord> {
    let (operation, target_id, fields, paths) = match plan {
        Plan::Create { fields } => (
            Operation::Create,
            broken_link.unwrap_or(""),
            fields,
            leaf_paths(fields),
        ),
        Plan::Update {
            current,
            changes,
            paths,
        } => (
            Operation::Update,
            current.id.as_str(),
            changes,
            paths.clone(),
        ),
        Plan::Unchanged { .. } => return None,
    };
    let content = fields.to_string();
    let key = idempotency_key(job, step, link_id, operation.as_str(), target_id, &content);
    Some(IdempotencyRecord {
        key,
        pipeline: job.name.clone(),
        source_id: link_id.to_string(),
        target: step.sink.collection(),
        request_hash: hex::encode(Sha256::digest(content.as_bytes())),
        operation: Some(operation),
        fields_changed: paths,
        response_status: None,
        response_body: None,
        created_at: jiff::Timestamp::now(),
    })
}

/// Carries out `plan` under the idempotency key of its in-flight record, which makes sending
/// it twice harmless.
pub async fn apply(
    step: &Step,
    sink: &Connector,
    plan: Plan,
    in_flight: Option<&IdempotencyRecord>,
) -> Result<Delivered, ConnectorError> {
    let collection = &step.sink.stream;
    let idempotency_key = in_flight.map(|r| r.key.clone()).unwrap_or_default();
    match plan {
        Plan::Create { fields } => {
            let fields_changed = leaf_paths(&fields);
            let write = Write {
                idempotency_key,
                fields,
            };
            let target = sink.create(collection, &write).await?;
            Ok(Delivered {
                target,
                operation: Operation::Create,
                fields_changed,
            })
        }
        Plan::Update {
            current,
            changes,
            paths,
        } => {
            let write = Write {
                idempotency_key,
                fields: changes,
            };
            let target = sink.update(collection, &current, &write).await?;
            Ok(Delivered {
                target,
                operation: Operation::Update,
                fields_changed: paths,
            })
        }
        Plan::Unchanged { current } => Ok(Delivered {
            target: current,
            operation: Operation::Noop,
            fields_changed: Vec::new(),
        }),
    }
}

/// With the step's `post`, posts `delivered`'s document when it is still a draft: after its
/// first write, or on a later run when posting failed after the write.
pub async fn post_if_draft(
    step: &Step,
    sink: &Connector,
    delivered: &mut Delivered,
) -> Result<(), ConnectorError> {
    let draft = delivered.target.data.get("status").and_then(Value::as_str) == Some("Draft");
    if step.post.is_none() || !draft {
        return Ok(());
    }
    let posted = sink
        .post_document(&step.sink.stream, &delivered.target.id)
        .await?;
    if let Some(posted) = posted {
        delivered.target = posted;
    }
    if delivered.operation == Operation::Noop {
        delivered.operation = Operation::Update;
    }
    delivered.fields_changed.push("status".into());
    Ok(())
}

/// The sink's `match on` keys with the mapped values; empty when any key has no value.
pub(super) fn match_keys(step: &Step, mapped: &Value) -> Vec<MatchKey> {
    let mut keys = Vec::new();
    for path in &step.match_keys {
        let value = path
            .split('.')
            .try_fold(mapped, |value, name| value.get(name));
        match value {
            Some(value) if !value.is_null() => keys.push(MatchKey {
                path: path.clone(),
                value: value.clone(),
            }),
            _ => return Vec::new(),
        }
    }
    keys
}

/// Hex SHA-256 over the pipeline, the linked record, the operation and the exact content (the
/// fields as compact JSON): the same write always gets the same key, and a changed record gets
/// a new one.
fn idempotency_key(
    job: &Job,
    step: &Step,
    link_id: &str,
    operation: &str,
    target_id: &str,
    content: &str,
) -> String {
    let mut hasher = Sha256::new();
    let sink = step.sink.collection();
    for part in [
        job.name.as_str(),
        sink.as_str(),
        step.link.collection.as_str(),
        link_id,
        operation,
        target_id,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(content.as_bytes());
    hex::encode(hasher.finalize())
}

/// Dotted paths of every leaf of an object, for the audit log.
pub fn leaf_paths(value: &Value) -> Vec<String> {
    fn walk(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(fields) if !fields.is_empty() => {
                for (key, nested) in fields {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(nested, &path, out);
                }
            }
            _ if !prefix.is_empty() => out.push(prefix.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}
