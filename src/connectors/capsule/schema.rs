//! Capsule CRM parties (the other entities are in [`super::activity_schema`]), hand-written from Capsule's API v2 documentation. The shapes of
//! `owner` and of custom `fields[]` items are unverified.

use indexmap::IndexMap;

use crate::check::{
    Fetchable, Field, KeyShape, RecordKey, SchemaRegistry, SinkSchema, SourceSchema, TargetSchema, Type,
};

use super::super::build::{object, opt};
use super::activity_schema::{account_user, by_party, kase, opportunity, task};

const PARTY_TYPES: &[&str] = &["person", "organisation"];

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    registry.add_source(SourceSchema {
        name: "capsule.parties".into(),
        record: party(),
        events: IndexMap::new(),
        id_field: "id".into(),
        object_at: None,
        fetchable: Fetchable {
            by_id: true,
            filters: Vec::new(),
        },
    });
    // Like parties, these are polled and hooked alike: no `on` (every change of the entity
    // feeds the stream, whichever hook event brought it).
    for (name, record) in [
        ("opportunities", opportunity()),
        ("kases", kase()),
        ("tasks", task()),
    ] {
        registry.add_source(SourceSchema {
            name: format!("capsule.{name}"),
            record,
            events: IndexMap::new(),
            id_field: "id".into(),
            object_at: None,
            fetchable: by_party(),
        });
    }
    // Read with `fetch(capsule.users, id)` only: an owner's name and email.
    registry.add_source(SourceSchema {
        name: "capsule.users".into(),
        record: account_user(),
        events: IndexMap::new(),
        id_field: "id".into(),
        object_at: None,
        fetchable: Fetchable {
            by_id: true,
            filters: Vec::new(),
        },
    });
    registry.add_target(TargetSchema {
        name: "capsule.party".into(),
        record: party_target(),
        metadata_limits: None,
    });
    registry.add_sink(SinkSchema {
        name: "capsule.parties".into(),
        accepts: "capsule.party".into(),
        keys: vec![RecordKey::new("id", KeyShape::Digits)],
    });
    registry
}

/// `{id, name}`: teams, organisations as embedded in a person, tags.
pub(super) fn id_name(name: &str) -> Type {
    object(
        name,
        &[("id", Field::new(Type::Int)), ("name", opt(Type::String))],
    )
}

/// Polls ask for tags (`embed=tags,fields`), so polled records have them.
pub(super) const TAGS_DOC: &str = "Only with embed=tags, which polls ask for.";

/// A tag as embedded in a record. `dataTag` is documented (Capsule's field definitions show
/// `{id, name, dataTag}`); `description` is unverified.
pub(super) fn tag() -> Type {
    object(
        "capsule.tag",
        &[
            ("id", Field::new(Type::Int)),
            ("name", opt(Type::String)),
            ("description", opt(Type::String)),
            (
                "dataTag",
                opt(Type::Bool).doc("A data tag: its own custom fields come with it."),
            ),
        ],
    )
}

fn email_address() -> Type {
    object(
        "capsule.emailAddress",
        &[
            ("id", Field::new(Type::Int)),
            ("type", opt(Type::String)),
            ("address", Field::new(Type::String)),
        ],
    )
}

fn phone_number() -> Type {
    object(
        "capsule.phoneNumber",
        &[
            ("id", Field::new(Type::Int)),
            ("type", opt(Type::String)),
            ("number", Field::new(Type::String)),
        ],
    )
}

fn address() -> Type {
    object(
        "capsule.address",
        &[
            ("id", Field::new(Type::Int)),
            ("type", opt(Type::String)),
            ("street", opt(Type::String)),
            ("city", opt(Type::String)),
            ("state", opt(Type::String)),
            ("zip", opt(Type::String)),
            ("country", opt(Type::String)),
        ],
    )
}

fn website() -> Type {
    object(
        "capsule.website",
        &[
            ("id", Field::new(Type::Int)),
            ("type", opt(Type::String)),
            ("service", opt(Type::String)),
            ("address", Field::new(Type::String)),
        ],
    )
}

pub(super) fn custom_field() -> Type {
    object(
        "capsule.customField",
        &[
            ("id", Field::new(Type::Int)),
            ("definition", Field::new(id_name("capsule.fieldDefinition"))),
            ("value", Field::new(Type::Any)),
        ],
    )
}

/// A user as a record's `owner`.
pub(super) fn user() -> Type {
    object(
        "capsule.user",
        &[
            ("id", Field::new(Type::Int)),
            ("username", opt(Type::String)),
            ("name", opt(Type::String)),
        ],
    )
}

/// A party as `GET /parties` returns it (tags and fields only when embedded).
pub fn party() -> Type {
    let owner = user();
    object(
        "capsule.party",
        &[
            ("id", Field::new(Type::Int).doc("The party's id.")),
            ("type", Field::new(Type::String).allowed(PARTY_TYPES)),
            ("firstName", opt(Type::String).doc("People only.")),
            ("lastName", opt(Type::String).doc("People only.")),
            (
                "title",
                opt(Type::String).doc("People only: Mr, Ms, Dr, ..."),
            ),
            ("jobTitle", opt(Type::String).doc("People only.")),
            ("name", opt(Type::String).doc("Organisations only.")),
            ("about", opt(Type::String)),
            (
                "createdAt",
                Field::new(Type::String).doc("ISO 8601 timestamp."),
            ),
            (
                "updatedAt",
                Field::new(Type::String).doc("ISO 8601 timestamp."),
            ),
            ("owner", opt(owner)),
            ("team", opt(id_name("capsule.team"))),
            (
                "organisation",
                opt(id_name("capsule.organisation")).doc("People only."),
            ),
            ("emailAddresses", Field::new(Type::list(email_address()))),
            ("phoneNumbers", Field::new(Type::list(phone_number()))),
            ("addresses", Field::new(Type::list(address()))),
            ("websites", Field::new(Type::list(website()))),
            ("tags", opt(Type::list(tag())).doc(TAGS_DOC)),
            (
                "fields",
                opt(Type::list(custom_field())).doc("Only with embed=fields."),
            ),
        ],
    )
}

/// What `POST /parties` and `PUT /parties/{id}` accept: no ids of the party itself, no
/// timestamps; owner and organisation are written by id.
fn party_target() -> Type {
    let by_id = |name: &str| object(name, &[("id", Field::new(Type::Int).required())]);
    let new_email = object(
        "capsule.emailAddress",
        &[
            ("type", Field::new(Type::String)),
            ("address", Field::new(Type::String).required()),
        ],
    );
    let new_phone = object(
        "capsule.phoneNumber",
        &[
            ("type", Field::new(Type::String)),
            ("number", Field::new(Type::String).required()),
        ],
    );
    let new_address = object(
        "capsule.address",
        &[
            ("type", Field::new(Type::String)),
            ("street", Field::new(Type::String)),
            ("city", Field::new(Type::String)),
            ("state", Field::new(Type::String)),
            ("zip", Field::new(Type::String)),
            ("country", Field::new(Type::String)),
        ],
    );
    let new_website = object(
        "capsule.website",
        &[
            ("type", Field::new(Type::String)),
            ("service", Field::new(Type::String)),
            ("address", Field::new(Type::String).required()),
        ],
    );
    let new_tag = object(
        "capsule.tag",
        &[("name", Field::new(Type::String).required())],
    );
    object(
        "capsule.party",
        &[
            (
                "type",
                Field::new(Type::String).required().allowed(PARTY_TYPES),
            ),
            ("firstName", Field::new(Type::String)),
            ("lastName", Field::new(Type::String)),
            ("title", Field::new(Type::String)),
            ("jobTitle", Field::new(Type::String)),
            (
                "name",
                Field::new(Type::String).doc("Required for organisations."),
            ),
            ("about", Field::new(Type::String)),
            ("owner", Field::new(by_id("capsule.user"))),
            ("team", Field::new(by_id("capsule.team"))),
            ("organisation", Field::new(by_id("capsule.organisation"))),
            ("emailAddresses", Field::new(Type::list(new_email))),
            ("phoneNumbers", Field::new(Type::list(new_phone))),
            ("addresses", Field::new(Type::list(new_address))),
            ("websites", Field::new(Type::list(new_website))),
            ("tags", Field::new(Type::list(new_tag))),
        ],
    )
}
