//! Seeded drift against `ferry reconcile` on `capsule_contacts_to_stripe_activity`: its three
//! pipelines (opportunities, cases, tasks) all write the same summary of a contact's open work
//! into its Stripe customer's metadata. A user edits that metadata in the Stripe dashboard or
//! deletes a customer; each pipeline's reconcile finds every edited key and every deleted
//! customer on each of its records, and the customer a user added by hand (no pipeline's cross
//! reference points to it) as an orphan; the contacts pipeline's customers are not orphans of
//! the activity pipelines.

use std::collections::BTreeSet;

use ferry::sandbox::DriftKind;
use serde_json::json;

use crate::reconcile_drift::{found_rows, reconcile, run_pipeline, with_shipped_pipelines};
use crate::reconcile_drift_flows::finds_exactly_the_drift;
use crate::run_capsule_activity::{capsule, opportunity};
use crate::run_support;

use run_support::*;

const PIPELINES: [&str; 3] = [
    "capsule_opportunities_to_stripe_activity",
    "capsule_kases_to_stripe_activity",
    "capsule_tasks_to_stripe_activity",
];

/// Six contacts, each with an open opportunity, an open case and a task.
async fn contacts_with_open_work(world: &World) {
    world.add_people(0..6);
    let proposal = {
        let data = world.capsule.data();
        data.milestones
            .iter()
            .find(|m| m.name == "Proposal")
            .unwrap()
            .id
    };
    for n in 0..6u64 {
        let party = 100_000 + n;
        let value = json!({"amount": 1000 + 25 * n, "currency": "AUD"});
        let close = format!("2026-0{}-15", n + 3);
        opportunity(world, party, &format!("Deal {n}"), proposal, value, &close).await;
        let case = json!({"kase": {"party": {"id": party}, "name": format!("Case {n}")}});
        capsule(world, reqwest::Method::POST, "kases", Some(case)).await;
        let task = json!({"task": {"party": {"id": party}, "description": format!("Call {n}"),
            "dueOn": format!("2026-12-{:02}", n + 10)}});
        capsule(world, reqwest::Method::POST, "tasks", Some(task)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_activity_pipeline_finds_every_edited_key_and_deleted_customer_and_nothing_else() {
    let world = world(None, None).await;
    contacts_with_open_work(&world).await;
    let project = with_shipped_pipelines(&world);
    let dir = project.parent().unwrap();
    let summary = run_pipeline(dir, "capsule_contacts_to_stripe").await;
    assert!(summary.contains("6 created"), "{summary}");
    for pipeline in PIPELINES {
        let summary = run_pipeline(dir, pipeline).await;
        assert!(summary.contains("6 read"), "{pipeline}: {summary}");
    }
    // Clean, and the seventh contact's customer is no orphan of theirs.
    for pipeline in &PIPELINES[1..] {
        let (code, report) = reconcile(dir, pipeline).await;
        assert_eq!((code, &report["rows"]), (Some(0), &json!([])), "{report:#}");
        assert_eq!(
            report["summary"]["totals"]["orphans"],
            json!(0),
            "{report:#}"
        );
    }

    let fields =
        "metadata.capsule_open_value,metadata.capsule_next_milestone,metadata.capsule_next_task";
    let drift = "--system stripe --collection customers --change 3 --delete 1 --add 1 --seed 8";
    let drifted: Vec<&str> = drift.split(' ').chain(["--fields", fields]).collect();
    let records = finds_exactly_the_drift(&world, dir, PIPELINES[0], &[&drifted]).await;
    let actions = &records[0].actions;
    assert!(
        actions.iter().any(|a| a.action == DriftKind::Deleted),
        "{actions:#?}"
    );
    // Read back from Stripe: each edit is on its customer.
    let customers = world.customers().await;
    for action in actions.iter().filter(|a| a.action == DriftKind::Changed) {
        let customer = customers
            .iter()
            .find(|c| c["id"] == action.id.as_str())
            .unwrap();
        let field = action.field.as_deref().unwrap();
        assert_eq!(
            Some(ferry::sandbox::drift::value_at(customer, field)),
            action.after
        );
    }

    // A seventh contact, with no activity: its customer is the contacts pipeline's alone, and no
    // orphan of the activity pipelines.
    // (The run also makes again the customer drift deleted.)
    world.add_people(6..7);
    run_pipeline(dir, "capsule_contacts_to_stripe").await;
    let customers = world.customers().await;
    assert!(
        customers
            .iter()
            .any(|c| c["email"] == "person6@example.com")
    );

    // The cases' and the tasks' pipelines write the same customers: they find the same drift.
    let (_, opportunities) = reconcile(dir, PIPELINES[0]).await;
    let drifted: BTreeSet<_> = found_rows(&opportunities);
    for pipeline in &PIPELINES[1..] {
        let (code, report) = reconcile(dir, pipeline).await;
        assert_eq!(code, Some(1), "{report:#}");
        assert_eq!(found_rows(&report), drifted, "{pipeline}: {report:#}");
        let totals = &report["summary"]["totals"];
        assert_eq!(totals["read"], json!(6), "{report:#}");
        assert_eq!(totals["orphans"], json!(1), "{report:#}");
    }
}
