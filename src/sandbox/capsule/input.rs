//! Applying a `{"party": {...}}` body from POST or PUT, with Capsule's validation rules.
//!
//! Lists follow Capsule's write rules: an item without `id` is added, an item with `id` updates
//! that item, and an item with `id` and `"_delete": true` removes it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::party::{
    Address, EmailAddress, FieldDefinition, FieldValue, Party, PartyKind, PhoneNumber, Tag, Team,
    User, Website,
};

/// One entry of a 422 response's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub resource: &'static str,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(resource: &'static str, field: &str, message: impl Into<String>) -> Self {
        FieldError {
            resource,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a write may read or extend besides the party itself.
pub struct WriteContext<'a> {
    pub parties: &'a BTreeMap<u64, Party>,
    pub users: &'a [User],
    pub teams: &'a [Team],
    pub tags: &'a mut Vec<Tag>,
    pub definitions: &'a [FieldDefinition],
    /// Ids for new list items and tags, shared with parties (Capsule ids are unique numbers).
    pub next_id: &'a mut u64,
}

impl WriteContext<'_> {
    fn fresh_id(&mut self) -> u64 {
        *self.next_id += 1;
        *self.next_id
    }
}

/// Reads the party type of a POST body, which decides every other rule.
pub fn kind_of(body: &Map<String, Value>) -> Result<PartyKind, FieldError> {
    match body.get("type").and_then(Value::as_str) {
        Some("person") => Ok(PartyKind::Person),
        Some("organisation") => Ok(PartyKind::Organisation),
        _ => Err(FieldError::new(
            "party",
            "type",
            "type must be person or organisation",
        )),
    }
}

/// Where a text property of a party lives.
type TextSlot = fn(&mut Party) -> &mut Option<String>;

/// Applies `body` to `party`; on any error the party is left unchanged.
pub fn apply(
    party: &mut Party,
    body: &Map<String, Value>,
    ctx: &mut WriteContext<'_>,
) -> Result<(), Vec<FieldError>> {
    let mut next = party.clone();
    let mut errors = Vec::new();
    if let Some(kind) = body.get("type")
        && kind.as_str() != Some(party.kind.as_str())
    {
        errors.push(FieldError::new("party", "type", "type cannot be changed"));
    }
    let text_fields: &[(&str, TextSlot)] = match party.kind {
        PartyKind::Person => &[
            ("about", |p| &mut p.about),
            ("title", |p| &mut p.title),
            ("firstName", |p| &mut p.first_name),
            ("lastName", |p| &mut p.last_name),
            ("jobTitle", |p| &mut p.job_title),
        ],
        PartyKind::Organisation => &[("about", |p| &mut p.about), ("name", |p| &mut p.name)],
    };
    for (key, slot) in text_fields {
        match body.get(*key) {
            None => {}
            Some(Value::Null) => *slot(&mut next) = None,
            Some(Value::String(s)) => *slot(&mut next) = Some(s.trim().to_string()),
            Some(_) => errors.push(FieldError::new("party", key, format!("{key} must be text"))),
        }
    }
    match party.kind {
        PartyKind::Person => {
            let blank = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
            if blank(&next.first_name) && blank(&next.last_name) {
                errors.push(FieldError::new(
                    "party",
                    "firstName",
                    "a person needs a firstName or a lastName",
                ));
            }
            if let Some(org) = body.get("organisation") {
                match organisation_ref(org, ctx.parties) {
                    Ok(id) => next.organisation_id = id,
                    Err(e) => errors.push(e),
                }
            }
        }
        PartyKind::Organisation => {
            if next.name.as_deref().is_none_or(str::is_empty) {
                errors.push(FieldError::new("party", "name", "name is required"));
            }
        }
    }
    let users = ctx.users;
    let teams = ctx.teams;
    let owner = body.get("owner").map(|owner| (owner, user_ref(owner, users)));
    set_reference(owner, &mut next.owner_id, &mut errors, "owner", "owner is not a user");
    let team = body.get("team").map(|team| (team, team_ref(team, teams)));
    set_reference(team, &mut next.team_id, &mut errors, "team", "team is not a team");
    apply_list(
        body,
        "emailAddresses",
        &mut next.email_addresses,
        ctx,
        &mut errors,
        |item, old, id| {
            let address = text(item, "address").or(old.map(|o| o.address.clone()));
            match address {
                Some(a) if is_email(&a) => Ok(EmailAddress {
                    id,
                    kind: kind_field(item, old.and_then(|o| o.kind.clone())),
                    address: a,
                }),
                _ => Err(FieldError::new(
                    "emailAddress",
                    "address",
                    "address is not a valid email address",
                )),
            }
        },
    );
    apply_list(
        body,
        "phoneNumbers",
        &mut next.phone_numbers,
        ctx,
        &mut errors,
        |item, old, id| match text(item, "number").or(old.map(|o| o.number.clone())) {
            Some(n) if !n.trim().is_empty() => Ok(PhoneNumber {
                id,
                kind: kind_field(item, old.and_then(|o| o.kind.clone())),
                number: n,
            }),
            _ => Err(FieldError::new(
                "phoneNumber",
                "number",
                "number is required",
            )),
        },
    );
    apply_list(
        body,
        "addresses",
        &mut next.addresses,
        ctx,
        &mut errors,
        |item, old, id| {
            let base = old.cloned().unwrap_or_default();
            let pick = |key: &str, was: Option<String>| match item.get(key) {
                Some(Value::Null) => None,
                Some(v) => v.as_str().map(str::to_string).or(was),
                None => was,
            };
            Ok(Address {
                id,
                kind: kind_field(item, base.kind.clone()),
                street: pick("street", base.street.clone()),
                city: pick("city", base.city.clone()),
                state: pick("state", base.state.clone()),
                zip: pick("zip", base.zip.clone()),
                country: pick("country", base.country.clone()),
            })
        },
    );
    apply_list(
        body,
        "websites",
        &mut next.websites,
        ctx,
        &mut errors,
        |item, old, id| {
            let address = text(item, "address").or(old.map(|o| o.address.clone()));
            let service = text(item, "service")
                .or(old.map(|o| o.service.clone()))
                .unwrap_or_else(|| "URL".into());
            match address {
                Some(a) if !a.trim().is_empty() => Ok(Website {
                    id,
                    kind: kind_field(item, old.and_then(|o| o.kind.clone())),
                    service,
                    address: a,
                }),
                _ => Err(FieldError::new("website", "address", "address is required")),
            }
        },
    );
    apply_tags(body, &mut next, ctx, &mut errors);
    apply_fields(body, &mut next, ctx, &mut errors);
    if errors.is_empty() {
        *party = next;
        Ok(())
    } else {
        Err(errors)
    }
}

fn text(item: &Map<String, Value>, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_string)
}

fn kind_field(item: &Map<String, Value>, was: Option<String>) -> Option<String> {
    match item.get("type") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => None,
        _ => was,
    }
}

trait HasId {
    fn id(&self) -> u64;
}
impl HasId for EmailAddress {
    fn id(&self) -> u64 {
        self.id
    }
}
impl HasId for PhoneNumber {
    fn id(&self) -> u64 {
        self.id
    }
}
impl HasId for Address {
    fn id(&self) -> u64 {
        self.id
    }
}
impl HasId for Website {
    fn id(&self) -> u64 {
        self.id
    }
}

fn apply_list<T: HasId + Clone>(
    body: &Map<String, Value>,
    key: &str,
    list: &mut Vec<T>,
    ctx: &mut WriteContext<'_>,
    errors: &mut Vec<FieldError>,
    build: impl Fn(&Map<String, Value>, Option<&T>, u64) -> Result<T, FieldError>,
) {
    let Some(value) = body.get(key) else { return };
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new(
            "party",
            key,
            format!("{key} must be a list"),
        ));
        return;
    };
    for item in items {
        let Some(item) = item.as_object() else {
            errors.push(FieldError::new(
                "party",
                key,
                format!("{key} items must be objects"),
            ));
            continue;
        };
        match item.get("id").map(Value::as_u64) {
            None => match build(item, None, ctx.fresh_id()) {
                Ok(new) => list.push(new),
                Err(e) => errors.push(e),
            },
            Some(Some(id)) => {
                let Some(index) = list.iter().position(|x| x.id() == id) else {
                    errors.push(FieldError::new(
                        "party",
                        key,
                        format!("{key} has no item {id}"),
                    ));
                    continue;
                };
                if item.get("_delete").and_then(Value::as_bool) == Some(true) {
                    list.remove(index);
                } else {
                    match build(item, list.get(index), id) {
                        Ok(updated) => list[index] = updated,
                        Err(e) => errors.push(e),
                    }
                }
            }
            Some(None) => errors.push(FieldError::new("party", key, "id must be a number")),
        }
    }
}

fn apply_tags(
    body: &Map<String, Value>,
    next: &mut Party,
    ctx: &mut WriteContext<'_>,
    errors: &mut Vec<FieldError>,
) {
    let Some(value) = body.get("tags") else {
        return;
    };
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new("party", "tags", "tags must be a list"));
        return;
    };
    for item in items {
        let found = match (
            item.get("id").and_then(Value::as_u64),
            item.get("name").and_then(Value::as_str),
        ) {
            (Some(id), _) => ctx.tags.iter().find(|t| t.id == id).map(|t| t.id),
            (None, Some(name)) if !name.trim().is_empty() => {
                match ctx
                    .tags
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
                {
                    Some(tag) => Some(tag.id),
                    None => {
                        let id = ctx.fresh_id();
                        ctx.tags.push(Tag {
                            id,
                            name: name.trim().to_string(),
                        });
                        Some(id)
                    }
                }
            }
            _ => None,
        };
        let Some(tag_id) = found else {
            errors.push(FieldError::new(
                "tag",
                "name",
                "tag needs an existing id or a name",
            ));
            continue;
        };
        if item.get("_delete").and_then(Value::as_bool) == Some(true) {
            next.tag_ids.retain(|t| *t != tag_id);
        } else if !next.tag_ids.contains(&tag_id) {
            next.tag_ids.push(tag_id);
        }
    }
}

fn apply_fields(
    body: &Map<String, Value>,
    next: &mut Party,
    ctx: &mut WriteContext<'_>,
    errors: &mut Vec<FieldError>,
) {
    let Some(value) = body.get("fields") else {
        return;
    };
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new("party", "fields", "fields must be a list"));
        return;
    };
    for item in items {
        if let Some(id) = item.get("id").and_then(Value::as_u64)
            && item.get("_delete").and_then(Value::as_bool) == Some(true)
        {
            next.fields.retain(|f| f.id != id);
            continue;
        }
        let definition = item
            .get("definition")
            .and_then(|d| d.get("id"))
            .and_then(Value::as_u64)
            .and_then(|id| {
                ctx.definitions
                    .iter()
                    .find(|d| d.id == id && d.entity == "parties")
            });
        let Some(definition) = definition else {
            errors.push(FieldError::new(
                "field",
                "definition",
                "definition is not a custom field of parties",
            ));
            continue;
        };
        let value = item.get("value").cloned().unwrap_or(Value::Null);
        if let Some(message) = super::field_definitions::refusal(definition, &value) {
            errors.push(FieldError::new("field", "value", message));
            continue;
        }
        match next
            .fields
            .iter_mut()
            .find(|f| f.definition_id == definition.id)
        {
            Some(existing) => existing.value = value,
            None => {
                let id = ctx.fresh_id();
                next.fields.push(FieldValue {
                    id,
                    definition_id: definition.id,
                    value,
                });
            }
        }
    }
}

fn organisation_ref(
    value: &Value,
    parties: &BTreeMap<u64, Party>,
) -> Result<Option<u64>, FieldError> {
    if value.is_null() {
        return Ok(None);
    }
    let found = match (
        value.get("id").and_then(Value::as_u64),
        value.get("name").and_then(Value::as_str),
    ) {
        (Some(id), _) => parties
            .get(&id)
            .filter(|p| p.kind == PartyKind::Organisation)
            .map(|p| p.id),
        (None, Some(name)) => parties
            .values()
            .find(|p| p.kind == PartyKind::Organisation && p.name.as_deref() == Some(name))
            .map(|p| p.id),
        _ => None,
    };
    found.map(Some).ok_or_else(|| {
        FieldError::new(
            "party",
            "organisation",
            "organisation is not an existing organisation",
        )
    })
}

/// Sets `slot` from a reference the body gives and the id it names: null clears it, one that
/// names nothing is an error on `key`.
fn set_reference(
    given: Option<(&Value, Option<u64>)>,
    slot: &mut Option<u64>,
    errors: &mut Vec<FieldError>,
    key: &str,
    message: &str,
) {
    match given {
        None => {}
        Some((Value::Null, _)) => *slot = None,
        Some((_, Some(id))) => *slot = Some(id),
        Some((_, None)) => errors.push(FieldError::new("party", key, message)),
    }
}

/// A user by `{"id"}` or `{"username"}`.
fn user_ref(value: &Value, users: &[User]) -> Option<u64> {
    reference(value, users, "username", |u| (u.id, &u.username))
}

/// A team by `{"id"}` or `{"name"}`.
fn team_ref(value: &Value, teams: &[Team]) -> Option<u64> {
    reference(value, teams, "name", |t| (t.id, &t.name))
}

/// The id of the item of `items` that `value` names, by its id or else by `name_key`.
fn reference<T>(
    value: &Value,
    items: &[T],
    name_key: &str,
    id_and_name: fn(&T) -> (u64, &str),
) -> Option<u64> {
    let id = value.get("id").and_then(Value::as_u64);
    let name = value.get(name_key).and_then(Value::as_str);
    let (found, _) = items
        .iter()
        .map(id_and_name)
        .find(|(item_id, item_name)| match (id, name) {
            (Some(id), _) => *item_id == id,
            (None, Some(name)) => *item_name == name,
            (None, None) => false,
        })?;
    Some(found)
}

/// A pragmatic email check: one `@`, something before it, a dotted domain after, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::is_email;

    #[test]
    fn email_check() {
        assert!(is_email("ada@example.com"));
        assert!(!is_email("ada@example"));
        assert!(!is_email("ada example@x.com"));
        assert!(!is_email("@x.com"));
        assert!(!is_email("a@@x.com"));
        assert!(!is_email("a@x..com"));
    }
}
