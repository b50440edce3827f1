//! Opportunities, kases and tasks of a seeded account: on one person in ten, after the parties
//! are drawn, so that the parties of a seed stay what they were.

use jiff::{Timestamp, ToSpan};
use rand::Rng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;

use super::CapsuleData;
use super::activity::{Kase, Opportunity, Outcome, Task, TaskStatus};
use super::party::PartyKind;
use crate::sandbox::sample_data::{self as words, pick};

const CURRENCIES: &[&str] = &["AUD", "AUD", "NZD", "USD", "GBP"];
const DEALS: &[&str] = &["Annual licence", "Onboarding", "Support renewal", "Hardware refresh"];

pub fn add(rng: &mut StdRng, data: &mut CapsuleData, epoch: Timestamp) {
    let people: Vec<u64> = data
        .parties
        .values()
        .filter(|p| p.kind == PartyKind::Person)
        .map(|p| p.id)
        .step_by(10)
        .collect();
    for party_id in people {
        let Some(updated) = data.parties.get(&party_id).map(|p| p.updated_at) else {
            continue;
        };
        let owner_id = Some(data.users[rng.random_range(0..data.users.len())].id);
        for _ in 0..rng.random_range(1..=3) {
            data.next_id += 1;
            let milestone = &data.milestones[rng.random_range(0..data.milestones.len())];
            let (milestone_id, closes) = (milestone.id, milestone.closes);
            let day = updated.to_zoned(jiff::tz::TimeZone::UTC).date();
            let cents: i64 = rng.random_range(50_000..5_000_000);
            data.opportunities.insert(
                data.next_id,
                Opportunity {
                    id: data.next_id,
                    party_id,
                    owner_id,
                    name: pick(rng, DEALS).into(),
                    description: None,
                    milestone_id,
                    value: Some((Decimal::new(cents, 2), pick(rng, CURRENCIES).into())),
                    expected_close_on: day.checked_add(rng.random_range(7..120).days()).ok(),
                    probability: None,
                    closed_on: closes.map(|_| day),
                    lost_reason_id: (closes == Some(Outcome::Lost))
                        .then(|| data.lost_reasons[0].id),
                    tag_ids: Vec::new(),
                    fields: Vec::new(),
                    created_at: updated,
                    updated_at: updated,
                },
            );
        }
        if rng.random_bool(0.3) {
            data.next_id += 1;
            let open = rng.random_bool(0.6);
            data.kases.insert(
                data.next_id,
                Kase {
                    id: data.next_id,
                    party_id,
                    owner_id,
                    name: format!("{} onboarding", pick(rng, words::JOB_TITLES)),
                    description: None,
                    open,
                    opportunity_id: None,
                    closed_on: (!open).then(|| updated.to_zoned(jiff::tz::TimeZone::UTC).date()),
                    tag_ids: Vec::new(),
                    fields: Vec::new(),
                    created_at: updated,
                    updated_at: updated,
                },
            );
        }
        data.next_id += 1;
        let due = epoch
            .checked_add((rng.random_range(0..400_i64) * 86_400).seconds())
            .unwrap_or(epoch)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        data.tasks.insert(
            data.next_id,
            Task {
                id: data.next_id,
                party_id: Some(party_id),
                owner_id,
                description: "Call to follow up".into(),
                detail: None,
                due_on: due,
                status: TaskStatus::Open,
                completed_at: None,
                created_at: updated,
                updated_at: updated,
            },
        );
    }
}
