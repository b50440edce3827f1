//! The Capsule account the sandbox starts with.

use jiff::{Timestamp, ToSpan};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::CapsuleData;
use super::activity::{LostReason, Milestone, Outcome};
use super::party::{
    Address, EmailAddress, FieldDefinition, FieldValue, Party, PartyKind, PhoneNumber, Tag, Team,
    User, Website,
};
use crate::sandbox::sample_data::{self as words, pick};

const ORGANISATIONS: usize = 500;
/// People in a seeded account unless configured otherwise.
pub(super) const PEOPLE: usize = 2_000;

const NO_OPTIONS: &[&str] = &[];
const LEAD_SOURCES: &[&str] = &["Website", "Referral", "Event"];
const PLANS: &[&str] = &["Basic", "Pro", "Enterprise"];

/// Users, teams, tags and custom field definitions, but no parties.
pub fn account() -> CapsuleData {
    let mut data = CapsuleData {
        next_id: 10_000,
        ..CapsuleData::default()
    };
    for (username, name) in [
        ("ada", "Ada Lovelace"),
        ("grace", "Grace Hopper"),
        ("alan", "Alan Turing"),
        ("katherine", "Katherine Johnson"),
        ("linus", "Linus Pauling"),
    ] {
        data.next_id += 1;
        data.users.push(User {
            id: data.next_id,
            username: username.into(),
            name: name.into(),
            email: format!("{username}@sandbox.capsulecrm.example"),
        });
    }
    for name in ["Sales", "Accounts"] {
        data.next_id += 1;
        data.teams.push(Team {
            id: data.next_id,
            name: name.into(),
        });
    }
    for name in ["Customer", "Prospect", "Supplier", "VIP", "Newsletter"] {
        data.next_id += 1;
        data.tags.push(Tag {
            id: data.next_id,
            name: name.into(),
        });
    }
    for (entity, name, kind, options) in [
        ("parties", "Stripe customer", "text", NO_OPTIONS),
        ("parties", "Account number", "text", NO_OPTIONS),
        ("parties", "Credit limit", "number", NO_OPTIONS),
        ("parties", "Invoice by email", "boolean", NO_OPTIONS),
        ("opportunities", "Lead source", "list", LEAD_SOURCES),
        ("kases", "Contract reference", "text", NO_OPTIONS),
    ] {
        data.next_id += 1;
        data.definitions.push(FieldDefinition {
            id: data.next_id,
            name: name.into(),
            kind,
            entity,
            options,
        });
    }
    // Ids below the shared sequence's start: adding definitions leaves every seeded id
    // (parties, milestones) where tests and benches expect it.
    for (id, entity, name, kind, options) in [
        (901, "parties", "Renewal date", "date", NO_OPTIONS),
        (902, "parties", "Plan", "list", PLANS),
        (903, "opportunities", "Expected close", "date", NO_OPTIONS),
    ] {
        data.definitions.push(FieldDefinition {
            id,
            name: name.into(),
            kind,
            entity,
            options,
        });
    }
    for (name, probability, closes) in [
        ("New", 10, None),
        ("Proposal", 50, None),
        ("Negotiation", 75, None),
        ("Won", 100, Some(Outcome::Won)),
        ("Lost", 0, Some(Outcome::Lost)),
    ] {
        data.next_id += 1;
        data.milestones.push(Milestone {
            id: data.next_id,
            name: name.into(),
            probability,
            closes,
        });
    }
    for name in ["Price", "Timing", "Competitor"] {
        data.next_id += 1;
        data.lost_reasons.push(LostReason {
            id: data.next_id,
            name: name.into(),
        });
    }
    data
}

/// The account plus 500 organisations and `people` people, the same for the same seed. The
/// people of a smaller count are the first people of a larger one.
pub fn populated(seed: u64, people: usize) -> CapsuleData {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = account();
    let epoch: Timestamp = "2025-01-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut organisations = Vec::with_capacity(ORGANISATIONS);
    for _ in 0..ORGANISATIONS {
        let name = words::company_name(&mut rng);
        let mut party = new_party(&mut rng, &mut data, PartyKind::Organisation, epoch);
        let domain = words::domain_of(&name);
        party.name = Some(name);
        data.next_id += 1;
        party.email_addresses.push(EmailAddress {
            id: data.next_id,
            kind: Some("Work".into()),
            address: format!("accounts@{domain}"),
        });
        data.next_id += 1;
        party.websites.push(Website {
            id: data.next_id,
            kind: None,
            service: "URL".into(),
            address: format!("www.{domain}"),
        });
        organisations.push((party.id, domain));
        data.parties.insert(party.id, party);
    }
    for _ in 0..people {
        let mut party = new_party(&mut rng, &mut data, PartyKind::Person, epoch);
        let first = pick(&mut rng, words::FIRST_NAMES);
        let last = pick(&mut rng, words::LAST_NAMES);
        party.first_name = Some(first.into());
        party.last_name = Some(last.into());
        if rng.random_bool(0.4) {
            party.title = Some(pick(&mut rng, words::TITLES).into());
        }
        party.job_title = Some(pick(&mut rng, words::JOB_TITLES).into());
        let domain = if rng.random_bool(0.75) {
            let (org_id, domain) = &organisations[rng.random_range(0..organisations.len())];
            party.organisation_id = Some(*org_id);
            domain.clone()
        } else {
            "mail.example".to_string()
        };
        data.next_id += 1;
        party.email_addresses.push(EmailAddress {
            id: data.next_id,
            kind: Some("Work".into()),
            address: format!("{}@{domain}", words::email_local(first, last)),
        });
        data.parties.insert(party.id, party);
    }
    super::seed_activity::add(&mut rng, &mut data, epoch);
    data
}

fn new_party(rng: &mut StdRng, data: &mut CapsuleData, kind: PartyKind, epoch: Timestamp) -> Party {
    data.next_id += 1;
    let created = epoch
        .checked_add(rng.random_range(0..365 * 86_400_i64).seconds())
        .unwrap_or(epoch);
    // Everything seeded was last touched in 2025, so anything written later sorts after it.
    let last = epoch
        .checked_add((365 * 86_400_i64 - 1).seconds())
        .unwrap_or(epoch);
    let updated = created
        .checked_add(rng.random_range(0..60 * 86_400_i64).seconds())
        .unwrap_or(created)
        .min(last);
    let mut party = Party::new(data.next_id, kind, created);
    party.updated_at = updated;
    let (city, state, zip, country, prefix) =
        words::PLACES[rng.random_range(0..words::PLACES.len())];
    data.next_id += 1;
    party.addresses.push(Address {
        id: data.next_id,
        kind: Some(
            if kind == PartyKind::Organisation {
                "Office"
            } else {
                "Home"
            }
            .into(),
        ),
        street: Some(format!(
            "{} {}",
            rng.random_range(1..300),
            pick(rng, words::STREETS)
        )),
        city: Some(city.into()),
        state: (!state.is_empty()).then(|| state.into()),
        zip: Some(zip.into()),
        country: Some(country.into()),
    });
    data.next_id += 1;
    party.phone_numbers.push(PhoneNumber {
        id: data.next_id,
        kind: Some(
            if kind == PartyKind::Organisation {
                "Work"
            } else {
                "Mobile"
            }
            .into(),
        ),
        number: words::phone(rng, prefix),
    });
    party.owner_id = Some(data.users[rng.random_range(0..data.users.len())].id);
    if rng.random_bool(0.3) {
        party.team_id = Some(data.teams[rng.random_range(0..data.teams.len())].id);
    }
    let tag_count = rng.random_range(0..3);
    for _ in 0..tag_count {
        let tag = data.tags[rng.random_range(0..data.tags.len())].id;
        if !party.tag_ids.contains(&tag) {
            party.tag_ids.push(tag);
        }
    }
    if kind == PartyKind::Organisation {
        data.next_id += 1;
        party.fields.push(FieldValue {
            id: data.next_id,
            definition_id: data.definitions[1].id,
            value: json!(format!("ACC-{:05}", party.id % 100_000)),
        });
    }
    party
}
