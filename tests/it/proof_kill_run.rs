//! Proof 1a: `ferry run` killed with SIGKILL at random moments of a backfill, restarted after
//! each kill, still writes every Capsule person to Stripe exactly once, and the store's cross
//! references and audit log agree with what Stripe holds.
//!
//! Size: `FERRY_PROOF_RECORDS` people and `FERRY_PROOF_KILLS` kills (CI: 1,000 and 3;
//! `scripts/proof.sh`: 10,000 and 20).

use crate::proof_support;
use crate::run_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proof_support::{Report, count, ferry, read_store, size, tail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use run_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_killed_at_random_moments_writes_each_person_exactly_once() {
    let size = size();
    let mut report = Report::new("kill: ferry run");
    let world = world(None, None).await;
    world.add_people(0..size.records);
    let project = world.project(100_000);
    let dir = world.dir.path();
    let log = dir.join("ferry.log");
    let project_arg = project.display().to_string();
    let args = ["run", CAPSULE_TO_STRIPE, "--project", &project_arg];
    let mut rng = StdRng::seed_from_u64(size.seed);

    // Kill n lands once Stripe holds about n/(kills+1) of the people, give or take a page, and
    // a random few milliseconds after that: mid-page, mid-request or mid-commit.
    let mut kills = Vec::new();
    for kill in 1..=size.kills {
        let share = size.records * kill / (size.kills + 1);
        let jitter = rng.random_range(0..=50.min(size.records / 10));
        let target = (share + jitter).min(size.records - 1) as usize;
        let extra = Duration::from_micros(rng.random_range(0..20_000));
        let mut child = ferry(dir, &args, &log);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "kill {kill}: the runner exited ({status}) before Stripe held {target} customers, so the kill could not land\n{}",
                    tail(&log, 30)
                );
            }
            if world.stripe.objects("customer").len() >= target {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(extra).await;
        let running = child.try_wait().unwrap().is_none();
        assert!(
            running,
            "kill {kill}: the runner finished before it could be killed\n{}",
            tail(&log, 30)
        );
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let held = world.stripe.objects("customer").len();
        eprintln!("kill {kill}: SIGKILL with {held} customers in Stripe (aimed at {target})");
        kills.push(held);
    }

    let last = ferry(dir, &args, &log).wait().await.unwrap();
    assert!(last.success(), "the last run failed\n{}", tail(&log, 40));

    // Stripe: one customer per person, none missing, none twice.
    let customers = world.stripe.objects("customer");
    let mut by_email: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for customer in &customers {
        let email = customer["email"].as_str().unwrap_or_default().to_string();
        let id = customer["id"].as_str().unwrap().to_string();
        by_email.entry(email).or_default().push(id);
    }
    let twice: Vec<_> = by_email.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(twice.is_empty(), "people written twice: {twice:?}");
    let missing: Vec<u64> = (0..size.records)
        .filter(|n| !by_email.contains_key(&format!("person{n}@example.com")))
        .collect();
    assert!(missing.is_empty(), "people never written: {missing:?}");
    assert_eq!(customers.len() as u64, size.records);

    // The store, read apart from ferry's own store code.
    let store = read_store(&dir.join("state.db")).await;
    let links: Vec<(String, String)> = sqlx::query_as(
        "SELECT source_id, target_id FROM cross_references \
         WHERE source_collection = 'capsule.parties' AND target_collection = 'stripe.customers'",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    let customer_ids: BTreeSet<&str> = customers
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut linked_targets = BTreeSet::new();
    for (source_id, target_id) in &links {
        let n: u64 = source_id.parse::<u64>().unwrap() - 100_000;
        let email = format!("person{n}@example.com");
        assert_eq!(
            by_email.get(&email),
            Some(&vec![target_id.clone()]),
            "party {source_id} is linked to {target_id}, which is not {email}'s customer"
        );
        assert!(
            linked_targets.insert(target_id.clone()),
            "{target_id} is linked twice"
        );
    }
    assert_eq!(links.len() as u64, size.records, "a person without a link");

    let audit: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT source_id, target_id, operation FROM audit_log \
         WHERE pipeline = 'capsule_contacts_to_stripe' ORDER BY id",
    )
    .fetch_all(&store)
    .await
    .unwrap();
    let mut created: BTreeMap<String, String> = BTreeMap::new();
    for (source_id, target_id, operation) in &audit {
        let target_id = target_id.clone().unwrap_or_default();
        assert!(
            customer_ids.contains(target_id.as_str()),
            "audit names {target_id} for {source_id}, which Stripe does not hold"
        );
        if operation == "create"
            && let Some(before) = created.insert(source_id.clone(), target_id.clone())
        {
            panic!("party {source_id} was created twice: {before} and {target_id}");
        }
    }
    for (source_id, target_id) in &links {
        assert_eq!(
            created.get(source_id),
            Some(target_id),
            "party {source_id}: the audit log has no create of {target_id}"
        );
    }
    let letters = count(&store, "SELECT count(*) FROM dead_letters").await;
    assert_eq!(letters, 0, "dead letters after the kills");

    report
        .figure("records", size.records)
        .figure("kills", size.kills)
        .figure("customers_at_each_kill", kills)
        .figure("customers", customers.len())
        .figure("cross_references", links.len())
        .figure("audit_entries", audit.len())
        .passed();
}
