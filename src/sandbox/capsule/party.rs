//! Capsule's party record and how it is rendered on the wire.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    Person,
    Organisation,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Organisation => "organisation",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailAddress {
    pub id: u64,
    pub kind: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhoneNumber {
    pub id: u64,
    pub kind: Option<String>,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Address {
    pub id: u64,
    pub kind: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Website {
    pub id: u64,
    pub kind: Option<String>,
    pub service: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    pub id: u64,
    pub definition_id: u64,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub id: u64,
    pub kind: PartyKind,
    pub about: Option<String>,
    pub title: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub job_title: Option<String>,
    pub organisation_id: Option<u64>,
    pub name: Option<String>,
    pub email_addresses: Vec<EmailAddress>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub addresses: Vec<Address>,
    pub websites: Vec<Website>,
    pub tag_ids: Vec<u64>,
    pub fields: Vec<FieldValue>,
    pub owner_id: Option<u64>,
    pub team_id: Option<u64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Party {
    pub fn new(id: u64, kind: PartyKind, at: Timestamp) -> Self {
        Party {
            id,
            kind,
            about: None,
            title: None,
            first_name: None,
            last_name: None,
            job_title: None,
            organisation_id: None,
            name: None,
            email_addresses: Vec::new(),
            phone_numbers: Vec::new(),
            addresses: Vec::new(),
            websites: Vec::new(),
            tag_ids: Vec::new(),
            fields: Vec::new(),
            owner_id: None,
            team_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// The name Capsule shows for the party: an organisation's name or a person's full name.
    pub fn display_name(&self) -> String {
        match self.kind {
            PartyKind::Organisation => self.name.clone().unwrap_or_default(),
            PartyKind::Person => [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A Capsule user, who can own parties.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub name: String,
    /// Unverified: Capsule documents a user's `party`; the sandbox also serves the address.
    pub email: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDefinition {
    pub id: u64,
    pub name: String,
    pub kind: &'static str,
    /// What the field is on: `parties`, `opportunities` or `kases`.
    pub entity: &'static str,
    /// A list's choices (empty for other types).
    pub options: &'static [&'static str],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: u64,
    pub name: String,
}

/// Which optional parts to include, from `embed=tags,fields,organisation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Embed {
    pub tags: bool,
    pub fields: bool,
    pub organisation: bool,
}

/// Capsule writes timestamps to the second, in UTC, with a `Z`.
pub fn format_time(at: Timestamp) -> String {
    // jiff prints whole seconds without a fraction, as RFC 3339 with `Z`.
    Timestamp::from_second(at.as_second())
        .unwrap_or(at)
        .to_string()
}

/// What rendering needs to look up beyond the party itself.
pub struct Directory<'a> {
    pub parties: &'a std::collections::BTreeMap<u64, Party>,
    pub users: &'a [User],
    pub teams: &'a [Team],
    pub tags: &'a [Tag],
    pub definitions: &'a [FieldDefinition],
}

impl Directory<'_> {
    pub fn render(&self, party: &Party, embed: Embed) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(party.id));
        out.insert("type".into(), json!(party.kind.as_str()));
        out.insert("about".into(), json!(party.about));
        match party.kind {
            PartyKind::Person => {
                out.insert("title".into(), json!(party.title));
                out.insert("firstName".into(), json!(party.first_name));
                out.insert("lastName".into(), json!(party.last_name));
                out.insert("jobTitle".into(), json!(party.job_title));
                let organisation = party
                    .organisation_id
                    .and_then(|id| self.parties.get(&id))
                    .map(|org| {
                        if embed.organisation {
                            self.render(org, Embed::default())
                        } else {
                            json!({"id": org.id, "name": org.name, "pictureURL": picture_url(org)})
                        }
                    });
                out.insert("organisation".into(), organisation.unwrap_or(Value::Null));
            }
            PartyKind::Organisation => {
                out.insert("name".into(), json!(party.name));
            }
        }
        out.insert("createdAt".into(), json!(format_time(party.created_at)));
        out.insert("updatedAt".into(), json!(format_time(party.updated_at)));
        out.insert("lastContactedAt".into(), Value::Null);
        out.insert("pictureURL".into(), json!(picture_url(party)));
        out.insert(
            "owner".into(),
            party
                .owner_id
                .and_then(|id| self.users.iter().find(|u| u.id == id))
                .map_or(Value::Null, |u| {
                    json!({"id": u.id, "username": u.username, "name": u.name, "pictureURL": null})
                }),
        );
        out.insert(
            "team".into(),
            party
                .team_id
                .and_then(|id| self.teams.iter().find(|t| t.id == id))
                .map_or(Value::Null, |t| json!({"id": t.id, "name": t.name})),
        );
        out.insert(
            "emailAddresses".into(),
            party
                .email_addresses
                .iter()
                .map(|e| json!({"id": e.id, "type": e.kind, "address": e.address}))
                .collect(),
        );
        out.insert(
            "phoneNumbers".into(),
            party
                .phone_numbers
                .iter()
                .map(|p| json!({"id": p.id, "type": p.kind, "number": p.number}))
                .collect(),
        );
        out.insert(
            "addresses".into(),
            party
                .addresses
                .iter()
                .map(|a| {
                    json!({"id": a.id, "type": a.kind, "street": a.street, "city": a.city,
                       "state": a.state, "zip": a.zip, "country": a.country})
                })
                .collect(),
        );
        out.insert(
            "websites".into(),
            party
                .websites
                .iter()
                .map(|w| {
                    json!({"id": w.id, "type": w.kind, "service": w.service, "address": w.address,
                       "url": website_url(w)})
                })
                .collect(),
        );
        if embed.tags {
            out.insert("tags".into(), self.tags_of(&party.tag_ids));
        }
        if embed.fields {
            out.insert("fields".into(), self.fields_of(&party.fields));
        }
        Value::Object(out)
    }

    /// `embed=tags`: the tags with these ids.
    pub fn tags_of(&self, ids: &[u64]) -> Value {
        ids.iter()
            .filter_map(|id| self.tags.iter().find(|t| t.id == *id))
            .map(|t| json!({"id": t.id, "name": t.name, "description": null, "dataTag": false}))
            .collect()
    }

    /// `embed=fields`: custom field values with their definitions.
    pub fn fields_of(&self, fields: &[FieldValue]) -> Value {
        fields
            .iter()
            .filter_map(|f| {
                let definition = self.definitions.iter().find(|d| d.id == f.definition_id)?;
                Some(json!({"id": f.id, "value": f.value, "tagId": null,
                    "definition": {"id": definition.id, "name": definition.name}}))
            })
            .collect()
    }
}

fn picture_url(party: &Party) -> String {
    format!(
        "https://capsulecrm.com/theme/default/images/{}_avatar_70.png",
        party.kind.as_str()
    )
}

fn website_url(website: &Website) -> String {
    if website.service == "URL" && !website.address.contains("://") {
        format!("http://{}", website.address)
    } else {
        website.address.clone()
    }
}
