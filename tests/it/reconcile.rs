//! `ferry reconcile` end to end: Capsule people against their Stripe customers, after changes
//! made in Stripe behind ferry's back.

use std::path::Path;

use ferry::store::{AuditFilter, DeadLetterFilter, Store};
use serde_json::{Value, json};

use crate::run_support;

use run_support::*;

/// The Stripe customer made from Capsule person `n`.
async fn customer_of(world: &World, n: u64) -> String {
    let capsule_id = (100_000 + n).to_string();
    let customers = world.customers().await;
    let customer = customers
        .iter()
        .find(|c| c["metadata"]["capsule_id"] == capsule_id.as_str())
        .unwrap_or_else(|| panic!("no customer of person {n} in {customers:?}"));
    customer["id"].as_str().unwrap().to_string()
}

/// What the store holds for the pipeline: its cursor, links, audit log, dead letters and
/// writes in flight, as text to compare.
async fn store_state(dir: &Path) -> String {
    let store = Store::open(&format!("sqlite://{}", dir.join("state.db").display()))
        .await
        .unwrap();
    let pipeline = "capsule_contacts_to_stripe";
    let state = format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.cursor(pipeline, "capsule.parties").await.unwrap(),
        store.links_into("stripe.customers").await.unwrap(),
        store.audit_entries(&AuditFilter::default()).await.unwrap(),
        store
            .dead_letters(&DeadLetterFilter {
                include_resolved: true,
                ..DeadLetterFilter::default()
            })
            .await
            .unwrap(),
        store.writes_in_flight(pipeline).await.unwrap(),
    );
    store.close().await;
    state
}

async fn reconcile_json(dir: &Path) -> (Option<i32>, Value, String) {
    let output = run_ferry(dir, &["reconcile", CAPSULE_TO_STRIPE, "--format", "json"]).await;
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let report: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|error| panic!("{error}: {stdout}\n{stderr}"));
    (output.status.code(), report, stderr)
}

fn rows_of_class<'a>(report: &'a Value, class: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["class"] == class)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_finds_each_change_behind_ferry_s_back_and_nothing_else() {
    let world = world(None, None).await;
    world.add_people(0..5);
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let first = run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    assert!(
        text(&first.stdout).contains("5 read, 5 created"),
        "{}",
        text(&first.stdout)
    );

    let drifted = customer_of(&world, 0).await;
    world
        .stripe_post(&format!("/v1/customers/{drifted}"), "name=Hand+Edited")
        .await;
    let deleted = customer_of(&world, 1).await;
    world
        .stripe_delete(&format!("/v1/customers/{deleted}"))
        .await;
    let stranger = world
        .stripe_post(
            "/v1/customers",
            "email=stranger%40example.com&name=Stranger",
        )
        .await;
    let stranger = stranger["id"].as_str().unwrap().to_string();
    world.add_people(5..6);

    let before = store_state(dir).await;
    let customers_before = world.customers().await;
    let (code, report, stderr) = reconcile_json(dir).await;
    assert_eq!(code, Some(1), "{report:#}\n{stderr}");
    assert_eq!(
        report["summary"]["totals"],
        json!({
            "read": 6, "in_sync": 3, "missing": 1, "broken_cross_reference": 1,
            "field_drift": 1, "orphans": 1, "would_fail": 0, "not_compared": 0, "mismatches": 4,
        }),
        "{report:#}"
    );
    assert_eq!(report["rows"].as_array().unwrap().len(), 4, "{report:#}");
    let drift = rows_of_class(&report, "field_drift");
    assert_eq!(drift.len(), 1, "{report:#}");
    assert_eq!(drift[0]["source_id"], "100000");
    assert_eq!(drift[0]["target_id"], drifted.as_str());
    assert_eq!(drift[0]["field"], "name");
    assert_eq!(drift[0]["target_value"], "Hand Edited");
    assert_eq!(drift[0]["pipeline_value"], "Person 0");
    let broken = rows_of_class(&report, "broken_cross_reference");
    assert_eq!(broken[0]["source_id"], "100001");
    assert_eq!(broken[0]["target_id"], deleted.as_str());
    let missing = rows_of_class(&report, "missing");
    assert_eq!(missing[0]["source_id"], "100005");
    assert_eq!(missing[0]["target_id"], Value::Null);
    let orphan = rows_of_class(&report, "orphan");
    assert_eq!(orphan[0]["target_id"], stranger.as_str());
    assert_eq!(orphan[0]["source_id"], Value::Null);
    assert!(
        report["summary"]["note"]
            .as_str()
            .unwrap()
            .contains("money-flow amount checks"),
        "{report:#}"
    );
    assert!(stderr.contains("listing stripe.customers"), "{stderr}");

    // A dry run: nothing written to Stripe or to the store, and no cursor moved.
    assert_eq!(world.customers().await, customers_before);
    assert_eq!(store_state(dir).await, before);

    // A run mends the drift, the broken link and the missing record; the orphan stays.
    let mend = run_ferry(dir, &["run", CAPSULE_TO_STRIPE, "--backfill"]).await;
    assert!(
        text(&mend.stdout).contains("6 read, 2 created, 1 updated, 3 unchanged"),
        "{}",
        text(&mend.stdout)
    );
    let (code, report, _) = reconcile_json(dir).await;
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["summary"]["totals"]["in_sync"], 6, "{report:#}");
    assert_eq!(report["summary"]["totals"]["mismatches"], 1, "{report:#}");
    assert_eq!(rows_of_class(&report, "orphan").len(), 1, "{report:#}");

    let csv = run_ferry(dir, &["reconcile", CAPSULE_TO_STRIPE, "--format", "csv"]).await;
    let csv = text(&csv.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(
        lines[0],
        "pipeline,class,source_id,target_id,field,target_value,pipeline_value,detail"
    );
    assert!(
        lines[1].starts_with(&format!("capsule_contacts_to_stripe,orphan,,{stranger},")),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_reconcile_exits_0_and_writes_its_table_to_a_file() {
    let world = world(None, None).await;
    world.add_people(0..3);
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;

    let output = run_ferry(
        dir,
        &["reconcile", CAPSULE_TO_STRIPE, "--out", "report.txt"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "");
    let table = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    assert!(table.contains("no mismatches"), "{table}");
    let counts = table.lines().nth(1).unwrap();
    let cells: Vec<&str> = counts.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "capsule_contacts_to_stripe",
            "3",
            "3",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0"
        ],
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_of_events_is_skipped_as_no_record_sync() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let charges = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_charges_to_business_central.ferry"
    );
    let output = run_ferry(dir, &["reconcile", charges, "--format", "json"]).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(
            "stripe_charges_to_business_central: skipped, not a record sync (it reads events)"
        ),
        "{stderr}"
    );
}

/// Points `connection` of the project at a port nothing listens on.
fn unreachable(world: &World, project: &Path, connection: &str) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let yaml = std::fs::read_to_string(project).unwrap().replace(
        &format!("{}/{connection}", world.base),
        &format!("http://127.0.0.1:{port}/{connection}"),
    );
    std::fs::write(project, yaml).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_side_is_named_and_exits_2() {
    for (connection, side) in [
        ("stripe", "the target `stripe.customers` could not be read"),
        ("capsule", "the source `capsule.parties` could not be read"),
    ] {
        let world = world(None, None).await;
        world.add_people(0..2);
        let project = world.project(1000);
        let dir = project.parent().unwrap();
        run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
        unreachable(&world, &project, connection);

        let (code, report, stderr) = reconcile_json(dir).await;
        assert_eq!(code, Some(2), "{report:#}\n{stderr}");
        assert!(stderr.contains(side), "{stderr}");
        assert_eq!(report["summary"]["pipelines"], json!([]), "{report:#}");
        let errors = report["summary"]["errors"].as_array().unwrap();
        assert!(
            errors[0]["error"].as_str().unwrap().contains(side),
            "{report:#}"
        );
    }
}
