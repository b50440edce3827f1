//! Capsule CRM's opportunities, kases (projects), tasks and users, hand-written from Capsule's
//! API v2 documentation. Unverified: a user's `emailAddress` (Capsule documents a user's
//! `party`, whose email addresses are the user's; the sandbox serves both), and whether
//! `value.amount` ever comes as text (ferry takes a JSON number only).

use crate::check::{Fetchable, Field, Type};

use super::super::build::{object, opt};
use super::related::PARTY_FILTER;
use super::schema::{TAGS_DOC, tag, custom_field, id_name, user};

const KASE_STATUSES: &[&str] = &["OPEN", "CLOSED"];
const TASK_STATUSES: &[&str] = &["OPEN", "COMPLETED", "PENDING"];

/// Read by id and listed by party (`fetch_all(capsule.kases, { party: .id })`).
pub fn by_party() -> Fetchable {
    Fetchable {
        by_id: true,
        filters: vec![PARTY_FILTER.to_string()],
    }
}

/// The party a record belongs to, as Capsule nests it.
fn nested_party() -> Type {
    object(
        "capsule.nestedParty",
        &[
            ("id", Field::new(Type::Int)),
            ("type", opt(Type::String)),
            ("name", opt(Type::String).doc("Organisations only.")),
            ("firstName", opt(Type::String).doc("People only.")),
            ("lastName", opt(Type::String).doc("People only.")),
        ],
    )
}

fn times() -> [(&'static str, Field); 2] {
    [
        (
            "createdAt",
            Field::new(Type::String).doc("ISO 8601 timestamp."),
        ),
        (
            "updatedAt",
            Field::new(Type::String).doc("ISO 8601 timestamp."),
        ),
    ]
}

fn tags_and_fields() -> [(&'static str, Field); 2] {
    [
        (
            "tags",
            opt(Type::list(tag())).doc(TAGS_DOC),
        ),
        (
            "fields",
            opt(Type::list(custom_field())).doc("Only with embed=fields."),
        ),
    ]
}

pub fn opportunity() -> Type {
    let value = object(
        "capsule.opportunityValue",
        &[
            (
                "amount",
                Field::new(Type::Decimal).doc("In the currency's major unit: 1500.00."),
            ),
            (
                "currency",
                Field::new(Type::String).doc("ISO 4217, upper case."),
            ),
        ],
    );
    let milestone = id_name("capsule.milestone");
    let mut fields = vec![
        ("id", Field::new(Type::Int)),
        ("name", Field::new(Type::String)),
        ("description", opt(Type::String)),
        ("party", Field::new(nested_party())),
        ("owner", opt(user())),
        ("team", opt(id_name("capsule.team"))),
        ("milestone", Field::new(milestone)),
        ("value", opt(value)),
        (
            "expectedCloseOn",
            opt(Type::String).doc("A date: 2026-03-31."),
        ),
        ("probability", opt(Type::Int).doc("Percent.")),
        (
            "closedOn",
            opt(Type::String).doc("A date; set once won or lost."),
        ),
        (
            "lostReason",
            opt(id_name("capsule.lostReason")).doc("Lost opportunities only."),
        ),
    ];
    fields.extend(times());
    fields.extend(tags_and_fields());
    object("capsule.opportunity", &fields)
}

pub fn kase() -> Type {
    let mut fields = vec![
        ("id", Field::new(Type::Int)),
        ("name", Field::new(Type::String)),
        ("description", opt(Type::String)),
        ("status", Field::new(Type::String).allowed(KASE_STATUSES)),
        ("party", Field::new(nested_party())),
        ("owner", opt(user())),
        ("team", opt(id_name("capsule.team"))),
        (
            "opportunity",
            opt(id_name("capsule.opportunity")).doc("The opportunity it came from."),
        ),
        ("closedOn", opt(Type::String).doc("A date; closed kases only.")),
    ];
    fields.extend(times());
    fields.extend(tags_and_fields());
    object("capsule.kase", &fields)
}

pub fn task() -> Type {
    let mut fields = vec![
        ("id", Field::new(Type::Int)),
        ("description", Field::new(Type::String)),
        ("detail", opt(Type::String)),
        ("status", Field::new(Type::String).allowed(TASK_STATUSES)),
        ("dueOn", Field::new(Type::String).doc("A date: 2026-03-31.")),
        (
            "dueTime",
            opt(Type::String).doc("In the owner's time zone, not UTC."),
        ),
        ("category", opt(id_name("capsule.taskCategory"))),
        (
            "party",
            opt(nested_party()).doc("At most one of party, opportunity and kase."),
        ),
        ("opportunity", opt(id_name("capsule.opportunity"))),
        ("kase", opt(id_name("capsule.kase"))),
        ("owner", opt(user())),
        (
            "completedAt",
            opt(Type::String).doc("ISO 8601 timestamp; completed tasks only."),
        ),
    ];
    fields.extend(times());
    object("capsule.task", &fields)
}

/// A user as `GET /users` lists them.
pub fn account_user() -> Type {
    object(
        "capsule.user",
        &[
            ("id", Field::new(Type::Int)),
            ("username", Field::new(Type::String)),
            ("name", opt(Type::String)),
            (
                "emailAddress",
                opt(Type::String).doc("Unverified: see the user's `party` otherwise."),
            ),
            ("party", opt(id_name("capsule.party"))),
        ],
    )
}
