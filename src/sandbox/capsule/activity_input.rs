//! Applying `{"opportunity": {...}}`, `{"kase": {...}}` and `{"task": {...}}` bodies from POST
//! or PUT, with Capsule's validation rules: a 422 entry per bad field, and nothing changed.
//!
//! Rules where Capsule's documentation is silent (unverified): a lost reason is refused on an
//! opportunity that is not at a lost milestone; moving an opportunity off a closing milestone
//! reopens it; a task cannot be set to PENDING (Capsule sets that itself).

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::CapsuleData;
use super::activity::{Kase, Opportunity, Outcome, Task, TaskStatus};
use super::input::FieldError;

type Body = Map<String, Value>;

struct Reader<'a> {
    resource: &'static str,
    body: &'a Body,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(resource: &'static str, body: &'a Body) -> Self {
        Reader {
            resource,
            body,
            errors: Vec::new(),
        }
    }

    /// The `party` and `owner` every record may name.
    fn party_and_owner(&mut self, data: &CapsuleData) -> (Option<Option<u64>>, Option<Option<u64>>) {
        let party = self.reference("party", |id| data.parties.contains_key(&id));
        let owner = self.reference("owner", |id| data.users.iter().any(|u| u.id == id));
        (party, owner)
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(self.resource, field, message));
    }

    /// `value`, failing `field` as required when there is none and nothing else failed it.
    fn require<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() && !self.errors.iter().any(|e| e.field == field) {
            self.fail(field, format!("{field} is required"));
        }
        value
    }

    /// `Some(None)` when the body sets the field to null.
    fn text(&mut self, key: &str) -> Option<Option<String>> {
        match self.body.get(key)? {
            Value::Null => Some(None),
            Value::String(text) => Some(Some(text.clone())),
            _ => {
                self.fail(key, format!("{key} must be text"));
                None
            }
        }
    }

    fn required_text(&mut self, key: &str, current: Option<&str>) -> String {
        match self.text(key) {
            Some(Some(text)) if !text.trim().is_empty() => text,
            None if current.is_some() => current.unwrap_or_default().to_string(),
            _ => {
                self.fail(key, format!("{key} is required"));
                String::new()
            }
        }
    }

    /// `{"id": n}` of a record that must exist; `Some(None)` for null.
    fn reference(&mut self, key: &str, exists: impl Fn(u64) -> bool) -> Option<Option<u64>> {
        match self.body.get(key)? {
            Value::Null => Some(None),
            value => match value.get("id").and_then(Value::as_u64) {
                Some(id) if exists(id) => Some(Some(id)),
                Some(id) => {
                    self.fail(key, format!("{key} {id} could not be found"));
                    None
                }
                None => {
                    self.fail(key, format!("{key} must be an object with an id"));
                    None
                }
            },
        }
    }

    fn date(&mut self, key: &str) -> Option<Option<Date>> {
        match self.text(key)? {
            None => Some(None),
            Some(text) => match text.parse::<Date>() {
                Ok(date) => Some(Some(date)),
                Err(_) => {
                    self.fail(key, format!("{key} must be a date such as 2026-03-31"));
                    None
                }
            },
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// `value: {amount, currency}`: an exact non-negative amount and an ISO 4217 code.
fn money(reader: &mut Reader<'_>) -> Option<Option<(Decimal, String)>> {
    let value = reader.body.get("value")?;
    if value.is_null() {
        return Some(None);
    }
    let amount = value
        .get("amount")
        .and_then(Value::as_number)
        .and_then(|n| n.to_string().parse::<Decimal>().ok())
        .filter(|a| !a.is_sign_negative());
    let currency = value
        .get("currency")
        .and_then(Value::as_str)
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase);
    match (amount, currency) {
        (Some(amount), Some(currency)) => Some(Some((amount, currency))),
        (None, _) => {
            reader.fail("value", "value.amount must be a number of at least 0");
            None
        }
        (_, None) => {
            reader.fail("value", "value.currency must be a three-letter ISO 4217 code");
            None
        }
    }
}

/// The opportunity `body` makes of `current` (or of nothing, for a POST).
pub fn opportunity(
    data: &CapsuleData,
    body: &Body,
    current: Option<&Opportunity>,
    id: u64,
    now: Timestamp,
) -> Result<Opportunity, Vec<FieldError>> {
    let mut r = Reader::new("opportunity", body);
    let (party, owner) = r.party_and_owner(data);
    let milestone = r.reference("milestone", |id| data.milestones.iter().any(|m| m.id == id));
    let lost_reason = r.reference("lostReason", |id| data.lost_reasons.iter().any(|l| l.id == id));
    let name = r.required_text("name", current.map(|o| o.name.as_str()));
    let description = r.text("description");
    let value = money(&mut r);
    let expected = r.date("expectedCloseOn");
    let probability = match body.get("probability") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(p) => match p.as_u64().filter(|p| *p <= 100) {
            Some(p) => Some(Some(p as u8)),
            None => {
                r.fail("probability", "probability must be a whole number from 0 to 100");
                None
            }
        },
    };
    let party_id = party.flatten().or(current.map(|o| o.party_id));
    let milestone_id = milestone.flatten().or(current.map(|o| o.milestone_id));
    let party_id = r.require("party", party_id);
    let milestone_id = r.require("milestone", milestone_id);
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut next = current.cloned().unwrap_or(Opportunity {
        id,
        party_id: 0,
        owner_id: data.users.first().map(|u| u.id),
        name: String::new(),
        description: None,
        milestone_id: 0,
        value: None,
        expected_close_on: None,
        probability: None,
        closed_on: None,
        lost_reason_id: None,
        tag_ids: Vec::new(),
        fields: Vec::new(),
        created_at: now,
        updated_at: now,
    });
    next.party_id = party_id.unwrap_or(0);
    next.name = name;
    let previous_milestone = current.map(|o| o.milestone_id);
    next.milestone_id = milestone_id.unwrap_or(0);
    if let Some(owner) = owner {
        next.owner_id = owner;
    }
    if let Some(description) = description {
        next.description = description;
    }
    if let Some(value) = value {
        next.value = value;
    }
    if let Some(expected) = expected {
        next.expected_close_on = expected;
    }
    if let Some(probability) = probability {
        next.probability = probability;
    }
    let closes = data
        .milestones
        .iter()
        .find(|m| m.id == next.milestone_id)
        .and_then(|m| m.closes);
    if previous_milestone != Some(next.milestone_id) {
        next.closed_on = closes.map(|_| today);
        if closes != Some(Outcome::Lost) {
            next.lost_reason_id = None;
        }
    }
    if let Some(reason) = lost_reason {
        if reason.is_some() && closes != Some(Outcome::Lost) {
            r.fail("lostReason", "a lost reason needs a lost milestone");
        }
        next.lost_reason_id = reason;
    }
    next.updated_at = now;
    r.finish(next)
}

pub fn kase(
    data: &CapsuleData,
    body: &Body,
    current: Option<&Kase>,
    id: u64,
    now: Timestamp,
) -> Result<Kase, Vec<FieldError>> {
    let mut r = Reader::new("kase", body);
    let (party, owner) = r.party_and_owner(data);
    let opportunity = r.reference("opportunity", |id| data.opportunities.contains_key(&id));
    let name = r.required_text("name", current.map(|k| k.name.as_str()));
    let description = r.text("description");
    let open = match r.text("status") {
        None => None,
        Some(Some(status)) if status == "OPEN" => Some(true),
        Some(Some(status)) if status == "CLOSED" => Some(false),
        Some(_) => {
            r.fail("status", "status must be OPEN or CLOSED");
            None
        }
    };
    let party_id = party.flatten().or(current.map(|k| k.party_id));
    let party_id = r.require("party", party_id);
    let mut next = current.cloned().unwrap_or(Kase {
        id,
        party_id: 0,
        owner_id: data.users.first().map(|u| u.id),
        name: String::new(),
        description: None,
        open: true,
        opportunity_id: None,
        closed_on: None,
        tag_ids: Vec::new(),
        fields: Vec::new(),
        created_at: now,
        updated_at: now,
    });
    next.party_id = party_id.unwrap_or(0);
    next.name = name;
    if let Some(owner) = owner {
        next.owner_id = owner;
    }
    if let Some(opportunity) = opportunity {
        next.opportunity_id = opportunity;
    }
    if let Some(description) = description {
        next.description = description;
    }
    if let Some(open) = open
        && open != next.open
    {
        next.open = open;
        next.closed_on = (!open).then(|| now.to_zoned(jiff::tz::TimeZone::UTC).date());
    }
    next.updated_at = now;
    r.finish(next)
}

pub fn task(
    data: &CapsuleData,
    body: &Body,
    current: Option<&Task>,
    id: u64,
    now: Timestamp,
) -> Result<Task, Vec<FieldError>> {
    let mut r = Reader::new("task", body);
    let (party, owner) = r.party_and_owner(data);
    let description = r.required_text("description", current.map(|t| t.description.as_str()));
    let detail = r.text("detail");
    let due_on = r.date("dueOn");
    let status = match r.text("status") {
        None => None,
        Some(Some(text)) => match TaskStatus::parse(&text) {
            Some(TaskStatus::Pending) | None => {
                r.fail("status", "status must be OPEN or COMPLETED");
                None
            }
            status => status,
        },
        Some(None) => {
            r.fail("status", "status must be OPEN or COMPLETED");
            None
        }
    };
    let due = due_on.flatten().or(current.map(|t| t.due_on));
    let due = r.require("dueOn", due);
    let mut next = current.cloned().unwrap_or(Task {
        id,
        party_id: None,
        owner_id: data.users.first().map(|u| u.id),
        description: String::new(),
        detail: None,
        due_on: Date::default(),
        status: TaskStatus::Open,
        completed_at: None,
        created_at: now,
        updated_at: now,
    });
    next.description = description;
    next.due_on = due.unwrap_or_default();
    if let Some(party) = party {
        next.party_id = party;
    }
    if let Some(owner) = owner {
        next.owner_id = owner;
    }
    if let Some(detail) = detail {
        next.detail = detail;
    }
    if let Some(status) = status
        && status != next.status
    {
        next.status = status;
        next.completed_at = (status == TaskStatus::Completed).then_some(now);
    }
    next.updated_at = now;
    r.finish(next)
}
