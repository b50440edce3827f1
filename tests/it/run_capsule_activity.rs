//! `pipelines/capsule_contacts_to_stripe_activity.ferry` end to end: contacts synced into Stripe, then a
//! story in Capsule (opportunities created, one closed, one deleted, a case, a task added), and
//! the Stripe customers' metadata read back from the emulator after each run.

use crate::run_support;

use run_support::*;
use serde_json::{Value, json};

const ACTIVITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/capsule_contacts_to_stripe_activity.ferry"
);

/// A Capsule API call against the world's emulator; the status and the answer.
pub(crate) async fn capsule(
    world: &World,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/capsule/api/v2/{path}", world.base))
        .bearer_auth("capsule-sandbox-token");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

pub(crate) async fn opportunity(
    world: &World,
    party: u64,
    name: &str,
    milestone: u64,
    value: Value,
    close: &str,
) -> u64 {
    let body = json!({"opportunity": {"party": {"id": party}, "name": name,
        "milestone": {"id": milestone}, "value": value, "expectedCloseOn": close}});
    let created = capsule(world, reqwest::Method::POST, "opportunities", Some(body)).await;
    created["opportunity"]["id"].as_u64().unwrap()
}

/// The `capsule_*` metadata of the customer with `email`.
async fn activity_of(world: &World, email: &str) -> Value {
    let customers = world.customers().await;
    let customer = customers.iter().find(|c| c["email"] == email).unwrap();
    let metadata = customer["metadata"].as_object().unwrap();
    Value::Object(
        metadata
            .iter()
            .filter(|(key, _)| key.starts_with("capsule_") && *key != "capsule_id")
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    )
}

async fn run_activity(world: &World) {
    let output = run_ferry(world.dir.path(), &["run", ACTIVITY]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_contacts_open_opportunities_cases_and_next_task_reach_its_stripe_customer() {
    let world = world(None, None).await;
    world.add_people(0..2);
    world.project(1000);
    let synced = run_ferry(world.dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    assert_eq!(world.customers().await.len(), 2);

    let (milestones, owner) = {
        let data = world.capsule.data();
        let id = |name: &str| data.milestones.iter().find(|m| m.name == name).unwrap().id;
        let milestones = [id("New"), id("Proposal"), id("Negotiation"), id("Won")];
        (milestones, data.users[0].email.clone())
    };
    let [new, proposal, negotiation, won] = milestones;
    let ada = 100_000;
    opportunity(
        &world,
        ada,
        "Licence",
        proposal,
        json!({"amount": 1000, "currency": "AUD"}),
        "2026-06-30",
    )
    .await;
    let support = opportunity(
        &world,
        ada,
        "Support",
        negotiation,
        json!({"amount": 250.50, "currency": "USD"}),
        "2026-04-01",
    )
    .await;
    let hardware = opportunity(
        &world,
        ada,
        "Hardware",
        new,
        json!({"amount": 500, "currency": "AUD"}),
        "2026-05-01",
    )
    .await;
    let case = json!({"kase": {"party": {"id": ada}, "name": "Onboarding"}});
    capsule(&world, reqwest::Method::POST, "kases", Some(case)).await;
    run_activity(&world).await;
    assert_eq!(
        activity_of(&world, "person0@example.com").await,
        json!({
            "capsule_open_opportunities": "3",
            "capsule_open_value": "AUD 1500.00, USD 250.50",
            "capsule_next_milestone": "Negotiation",
            "capsule_open_cases": "1",
            "capsule_next_task": "none",
            "capsule_next_task_due": "none",
            "capsule_next_task_owner": "none",
        })
    );
    assert_eq!(activity_of(&world, "person1@example.com").await, json!({}));

    // Support is won, Hardware deleted, and a task added: the task's change re-reads the set.
    let close = json!({"opportunity": {"milestone": {"id": won}}});
    capsule(
        &world,
        reqwest::Method::PUT,
        &format!("opportunities/{support}"),
        Some(close),
    )
    .await;
    capsule(
        &world,
        reqwest::Method::DELETE,
        &format!("opportunities/{hardware}"),
        None,
    )
    .await;
    let task = json!({"task": {"party": {"id": ada}, "description": "Send the contract", "dueOn": "2026-12-24"}});
    capsule(&world, reqwest::Method::POST, "tasks", Some(task)).await;
    run_activity(&world).await;
    assert_eq!(
        activity_of(&world, "person0@example.com").await,
        json!({
            "capsule_open_opportunities": "1",
            "capsule_open_value": "AUD 1000.00",
            "capsule_next_milestone": "Proposal",
            "capsule_open_cases": "1",
            "capsule_next_task": "Send the contract",
            "capsule_next_task_due": "2026-12-24",
            "capsule_next_task_owner": owner,
        })
    );
    // The contact's own metadata, from the contacts pipeline, is kept.
    let customers = world.customers().await;
    let ada_customer = customers
        .iter()
        .find(|c| c["email"] == "person0@example.com")
        .unwrap();
    assert_eq!(ada_customer["metadata"]["capsule_id"], "100000");
    assert_eq!(ada_customer["metadata"]["owner_email"], "unassigned");
    assert_eq!(
        customers.len(),
        2,
        "no customer was made for activity alone"
    );
}

/// Capsule lists a deleted opportunity or case by id only: ferry maps the deletion from the
/// version it last read (which names the contact), and the contact's metadata is read again
/// without it. The customer is updated, never deleted.
#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_opportunity_and_case_bring_the_contacts_metadata_up_to_date() {
    let world = world(None, None).await;
    world.add_people(0..1);
    world.project(1000);
    let synced = run_ferry(world.dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let (proposal, negotiation) = {
        let data = world.capsule.data();
        let id = |name: &str| data.milestones.iter().find(|m| m.name == name).unwrap().id;
        (id("Proposal"), id("Negotiation"))
    };
    let ada = 100_000;
    let licence = json!({"amount": 1000, "currency": "AUD"});
    opportunity(&world, ada, "Licence", proposal, licence, "2026-06-30").await;
    let support = json!({"amount": 250.50, "currency": "USD"});
    let support = opportunity(&world, ada, "Support", negotiation, support, "2026-04-01").await;
    let case = json!({"kase": {"party": {"id": ada}, "name": "Onboarding"}});
    let case = capsule(&world, reqwest::Method::POST, "kases", Some(case)).await["kase"]["id"]
        .as_u64()
        .unwrap();
    run_activity(&world).await;
    let before = activity_of(&world, "person0@example.com").await;
    assert_eq!(before["capsule_open_opportunities"], "2");
    assert_eq!(before["capsule_open_value"], "AUD 1000.00, USD 250.50");
    assert_eq!(before["capsule_open_cases"], "1");

    // Nothing else of the contact changes: the deletions alone bring the metadata up to date.
    for path in [format!("opportunities/{support}"), format!("kases/{case}")] {
        capsule(&world, reqwest::Method::DELETE, &path, None).await;
    }
    run_activity(&world).await;
    assert_eq!(
        activity_of(&world, "person0@example.com").await,
        json!({
            "capsule_open_opportunities": "1",
            "capsule_open_value": "AUD 1000.00",
            "capsule_next_milestone": "Proposal",
            "capsule_open_cases": "0",
            "capsule_next_task": "none",
            "capsule_next_task_due": "none",
            "capsule_next_task_owner": "none",
        })
    );
    let customers = world.customers().await;
    assert_eq!(customers.len(), 1);
    assert_ne!(customers[0]["deleted"], json!(true));
    assert_eq!(customers[0]["metadata"]["capsule_id"], "100000");
}

/// An opportunity made and deleted between two runs was never read: nothing names its contact,
/// and nothing of it reached the customer. The deletion is counted and logged, and leaves the
/// customer as it is.
#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_of_an_opportunity_never_read_leaves_the_customer_as_it_is() {
    let world = world(None, None).await;
    world.add_people(0..1);
    let project = world.project(1000);
    let synced = run_ferry(world.dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let proposal = world.capsule.data().milestones[1].id;
    let value = json!({"amount": 10, "currency": "AUD"});
    let gone = opportunity(&world, 100_000, "Gone", proposal, value, "2026-06-30").await;
    let (runner, jobs, _store) = runners(&project, ACTIVITY).await;
    let opportunities = &jobs[0];
    assert_eq!(opportunities.source.stream, "opportunities");
    // The cursor starts after the opportunity: the run reads only its deletion.
    // Capsule's times are in whole seconds: the next one, and a wait until it has begun.
    let now = jiff::Timestamp::now();
    let since = jiff::Timestamp::from_second(now.as_second() + 1).unwrap();
    let wait = since.duration_since(now).unsigned_abs() + std::time::Duration::from_millis(100);
    tokio::time::sleep(wait).await;
    capsule(
        &world,
        reqwest::Method::DELETE,
        &format!("opportunities/{gone}"),
        None,
    )
    .await;
    let options = ferry::runtime::runner::RunOptions {
        since: Some(since),
        ..Default::default()
    };
    let report = run_with(&runner, opportunities, options).await;
    assert_eq!(
        (report.read, report.deleted_at_source, report.dead_lettered),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(activity_of(&world, "person0@example.com").await, json!({}));
}

/// `capsule_contacts_to_stripe` matches a contact's owner to a Capsule user through the users
/// endpoint: the customer's `owner_email` is the owning user's own email (read back from
/// Stripe), unless the shipped lookup file names another for that user (`charles`), and
/// "unassigned" for a contact nobody owns.
#[tokio::test(flavor = "multi_thread")]
async fn a_contacts_owner_is_matched_to_its_capsule_users_email() {
    let world = world(None, None).await;
    world.add_people(0..3);
    // Two users the lookup file does not name (it names "ada" and "charles"); the second then
    // renamed "charles".
    let (first, second) = {
        let mut data = world.capsule.data();
        let mut unnamed = data
            .users
            .iter_mut()
            .filter(|u| !["ada", "charles"].contains(&u.username.as_str()));
        let first = unnamed.next().unwrap().clone();
        let second = unnamed.next().unwrap();
        second.username = "charles".into();
        (first, second.clone())
    };
    world.edit_person(0, |p| p.owner_id = Some(first.id));
    world.edit_person(1, |p| p.owner_id = Some(second.id));
    world.project(1000);
    world.with_shipped_schemas();
    let run = run_ferry(world.dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert!(run.status.success(), "{}", text(&run.stderr));

    let customers = world.customers().await;
    let owner_of = |n: u64| {
        let email = format!("person{n}@example.com");
        let customer = customers
            .iter()
            .find(|c| c["email"] == email.as_str())
            .unwrap();
        customer["metadata"]["owner_email"].clone()
    };
    assert_eq!(owner_of(0), json!(first.email), "the user's own email");
    assert_eq!(
        owner_of(1),
        "charles@analytical.example",
        "the lookup file's, for that user"
    );
    assert_eq!(owner_of(2), "unassigned");
}
