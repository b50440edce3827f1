//! Capsule's opportunities, kases (projects) and tasks, and how they are rendered on the wire.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::CapsuleData;
use super::party::{Embed, FieldValue, format_time};

/// A pipeline stage. A won or lost milestone closes the opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub id: u64,
    pub name: String,
    pub probability: u8,
    pub closes: Option<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Won,
    Lost,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LostReason {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    pub id: u64,
    pub party_id: u64,
    pub owner_id: Option<u64>,
    pub name: String,
    pub description: Option<String>,
    pub milestone_id: u64,
    /// Amount and currency: Capsule's `value`, exact.
    pub value: Option<(Decimal, String)>,
    pub expected_close_on: Option<Date>,
    pub probability: Option<u8>,
    pub closed_on: Option<Date>,
    pub lost_reason_id: Option<u64>,
    pub tag_ids: Vec<u64>,
    pub fields: Vec<FieldValue>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kase {
    pub id: u64,
    pub party_id: u64,
    pub owner_id: Option<u64>,
    pub name: String,
    pub description: Option<String>,
    pub open: bool,
    pub opportunity_id: Option<u64>,
    pub closed_on: Option<Date>,
    pub tag_ids: Vec<u64>,
    pub fields: Vec<FieldValue>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Open,
    Completed,
    Pending,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "OPEN",
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::Pending => "PENDING",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "OPEN" => Some(TaskStatus::Open),
            "COMPLETED" => Some(TaskStatus::Completed),
            "PENDING" => Some(TaskStatus::Pending),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: u64,
    pub party_id: Option<u64>,
    pub owner_id: Option<u64>,
    pub description: String,
    pub detail: Option<String>,
    pub due_on: Date,
    pub status: TaskStatus,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A money amount as a JSON number with its exact digits (serde_json keeps them).
pub fn amount_json(amount: Decimal) -> Value {
    serde_json::from_str(&amount.to_string()).unwrap_or(Value::Null)
}

impl CapsuleData {
    fn nested_party(&self, id: Option<u64>) -> Value {
        let Some(party) = id.and_then(|id| self.parties.get(&id)) else {
            return Value::Null;
        };
        let mut out = json!({"id": party.id, "type": party.kind.as_str()});
        match party.kind {
            super::party::PartyKind::Person => {
                out["firstName"] = json!(party.first_name);
                out["lastName"] = json!(party.last_name);
            }
            super::party::PartyKind::Organisation => out["name"] = json!(party.name),
        }
        out
    }

    fn owner(&self, id: Option<u64>) -> Value {
        id.and_then(|id| self.users.iter().find(|u| u.id == id))
            .map_or(Value::Null, |u| {
                json!({"id": u.id, "username": u.username, "name": u.name, "pictureURL": null})
            })
    }

    fn tags_and_fields(&self, out: &mut Map<String, Value>, tags: &[u64], fields: &[FieldValue], embed: Embed) {
        let directory = self.directory();
        if embed.tags {
            out.insert("tags".into(), directory.tags_of(tags));
        }
        if embed.fields {
            out.insert("fields".into(), directory.fields_of(fields));
        }
    }

    pub fn render_opportunity(&self, o: &Opportunity, embed: Embed) -> Value {
        let milestone = self.milestones.iter().find(|m| m.id == o.milestone_id);
        let mut out = Map::new();
        out.insert("id".into(), json!(o.id));
        out.insert("name".into(), json!(o.name));
        out.insert("description".into(), json!(o.description));
        out.insert("party".into(), self.nested_party(Some(o.party_id)));
        out.insert("owner".into(), self.owner(o.owner_id));
        out.insert("team".into(), Value::Null);
        out.insert(
            "milestone".into(),
            milestone.map_or(Value::Null, |m| json!({"id": m.id, "name": m.name})),
        );
        out.insert(
            "value".into(),
            o.value.as_ref().map_or(Value::Null, |(amount, currency)| {
                json!({"amount": amount_json(*amount), "currency": currency})
            }),
        );
        out.insert("expectedCloseOn".into(), json!(o.expected_close_on.map(|d| d.to_string())));
        out.insert(
            "probability".into(),
            json!(o.probability.or(milestone.map(|m| m.probability))),
        );
        out.insert("durationBasis".into(), Value::Null);
        out.insert("duration".into(), Value::Null);
        out.insert("closedOn".into(), json!(o.closed_on.map(|d| d.to_string())));
        out.insert(
            "lostReason".into(),
            o.lost_reason_id
                .and_then(|id| self.lost_reasons.iter().find(|r| r.id == id))
                .map_or(Value::Null, |r| json!({"id": r.id, "name": r.name})),
        );
        out.insert("createdAt".into(), json!(format_time(o.created_at)));
        out.insert("updatedAt".into(), json!(format_time(o.updated_at)));
        self.tags_and_fields(&mut out, &o.tag_ids, &o.fields, embed);
        Value::Object(out)
    }

    pub fn render_kase(&self, k: &Kase, embed: Embed) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(k.id));
        out.insert("name".into(), json!(k.name));
        out.insert("description".into(), json!(k.description));
        out.insert("status".into(), json!(if k.open { "OPEN" } else { "CLOSED" }));
        out.insert("party".into(), self.nested_party(Some(k.party_id)));
        out.insert("owner".into(), self.owner(k.owner_id));
        out.insert("team".into(), Value::Null);
        out.insert(
            "opportunity".into(),
            k.opportunity_id
                .and_then(|id| self.opportunities.get(&id))
                .map_or(Value::Null, |o| json!({"id": o.id, "name": o.name})),
        );
        out.insert("closedOn".into(), json!(k.closed_on.map(|d| d.to_string())));
        out.insert("createdAt".into(), json!(format_time(k.created_at)));
        out.insert("updatedAt".into(), json!(format_time(k.updated_at)));
        self.tags_and_fields(&mut out, &k.tag_ids, &k.fields, embed);
        Value::Object(out)
    }

    pub fn render_task(&self, t: &Task) -> Value {
        json!({
            "id": t.id,
            "description": t.description,
            "detail": t.detail,
            "category": null,
            "status": t.status.as_str(),
            "dueOn": t.due_on.to_string(),
            "dueTime": null,
            "party": self.nested_party(t.party_id),
            "opportunity": null,
            "kase": null,
            "owner": self.owner(t.owner_id),
            "completedAt": t.completed_at.map(format_time),
            "createdAt": format_time(t.created_at),
            "updatedAt": format_time(t.updated_at),
        })
    }
}
