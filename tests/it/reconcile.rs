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

/// Person 0's customer renamed by hand, person 1's deleted, a customer no person made, and a
/// new person 5: (drifted, deleted, stranger) customer ids.
async fn change_behind_ferrys_back(world: &World) -> (String, String, String) {
    let drifted = customer_of(world, 0).await;
    world
        .stripe_post(&format!("/v1/customers/{drifted}"), "name=Hand+Edited")
        .await;
    let deleted = customer_of(world, 1).await;
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
    (drifted, deleted, stranger)
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

    let (drifted, deleted, stranger) = change_behind_ferrys_back(&world).await;

    let before = store_state(dir).await;
    let customers_before = world.customers().await;
    let (code, report, stderr) = reconcile_json(dir).await;
    assert_eq!(code, Some(1), "{report:#}\n{stderr}");
    assert_eq!(
        report["summary"]["totals"],
        json!({
            "read": 6, "in_sync": 3, "missing": 1, "broken_cross_reference": 1,
            "field_drift": 1, "amount_mismatch": 0, "orphans": 1, "would_fail": 0, "not_compared": 0,
            "mismatches": 4,
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
            .contains("compared over its objects' whole history"),
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
        "pipeline,class,source_id,target_id,field,target_value,pipeline_value,detail,currency"
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
    assert!(table.starts_with("reconcile of all records, "), "{table}");
    let counts = table.lines().nth(3).unwrap();
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
            "0",
            "0"
        ],
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pipeline_of_events_is_compared_over_its_events_without_looking_for_orphans() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let charges = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_charges_to_business_central.ferry"
    );
    let output = run_ferry(dir, &["reconcile", charges, "--format", "json"]).await;
    let stdout = text(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let summary = &report["summary"]["pipelines"][0];
    assert_eq!(summary["pipeline"], "stripe_charges_to_business_central");
    assert_eq!(summary["source"], "stripe.events");
    assert_eq!(summary["orphans"], Value::Null, "{report:#}");
    assert!(
        summary["orphans_not_listed"]
            .as_str()
            .unwrap()
            .starts_with("it reads events"),
        "{report:#}"
    );
    let rows = report["rows"].as_array().unwrap();
    let expected = if rows.is_empty() { 0 } else { 1 };
    assert_eq!(output.status.code(), Some(expected), "{report:#}");
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

/// The audit entries of the pipeline, as a count.
async fn audit_count(dir: &Path) -> usize {
    let store = Store::open(&format!("sqlite://{}", dir.join("state.db").display()))
        .await
        .unwrap();
    let count = store
        .audit_entries(&AuditFilter::default())
        .await
        .unwrap()
        .len();
    store.close().await;
    count
}

#[tokio::test(flavor = "multi_thread")]
async fn fix_mends_what_it_found_through_the_pipeline_and_every_report_is_kept() {
    let world = world(None, None).await;
    world.add_people(0..5);
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;

    // Clean: the target's one list page is all Stripe is asked, whatever the record count.
    let (code, clean, _) = reconcile_json(dir).await;
    assert_eq!(code, Some(0), "{clean:#}");
    assert_eq!(
        clean["summary"]["pipelines"][0]["requests"]["stripe"], 1,
        "{clean:#}"
    );

    let (drifted, _, _) = change_behind_ferrys_back(&world).await;
    let audited = audit_count(dir).await;

    // --fix --dry-run says what it would write, and writes nothing.
    let customers_before = world.customers().await;
    let planned = run_ferry(
        dir,
        &[
            "reconcile",
            CAPSULE_TO_STRIPE,
            "--fix",
            "--dry-run",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(planned.status.code(), Some(1), "{}", text(&planned.stderr));
    let planned: Value = serde_json::from_slice(&planned.stdout).unwrap();
    let outcomes = |report: &Value| -> Vec<(String, String, String)> {
        let mut outcomes: Vec<_> = report["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|fix| {
                (
                    fix["source_id"].as_str().unwrap().to_string(),
                    fix["class"].as_str().unwrap().to_string(),
                    fix["outcome"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        outcomes.sort();
        outcomes
    };
    let expected = |drift: &str, create: &str| {
        vec![
            (
                "100000".to_string(),
                "field_drift".to_string(),
                drift.to_string(),
            ),
            (
                "100001".to_string(),
                "broken_cross_reference".to_string(),
                create.to_string(),
            ),
            (
                "100005".to_string(),
                "missing".to_string(),
                create.to_string(),
            ),
        ]
    };
    assert_eq!(
        outcomes(&planned),
        expected("would_update", "would_create"),
        "{planned:#}"
    );
    let drift_fix = planned["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fix| fix["class"] == "field_drift")
        .unwrap();
    assert_eq!(
        drift_fix["detail"],
        json!({"name": "Person 0"}),
        "{planned:#}"
    );
    assert_eq!(world.customers().await, customers_before);
    assert_eq!(audit_count(dir).await, audited);

    // --fix delivers them through the pipeline, audited; the orphan is left for a person.
    let fixed = run_ferry(
        dir,
        &["reconcile", CAPSULE_TO_STRIPE, "--fix", "--format", "json"],
    )
    .await;
    assert_eq!(fixed.status.code(), Some(1), "{}", text(&fixed.stderr));
    let fixed: Value = serde_json::from_slice(&fixed.stdout).unwrap();
    assert_eq!(
        outcomes(&fixed),
        expected("updated", "created"),
        "{fixed:#}"
    );
    assert_eq!(audit_count(dir).await, audited + 3);
    let customer = world
        .customers()
        .await
        .into_iter()
        .find(|c| c["id"] == drifted.as_str())
        .unwrap();
    assert_eq!(customer["name"], "Person 0");
    assert_eq!(world.customers().await.len(), customers_before.len() + 2);

    // What is left: the orphan alone, and a fix a second time writes nothing.
    let (code, after, _) = reconcile_json(dir).await;
    assert_eq!(code, Some(1), "{after:#}");
    assert_eq!(after["summary"]["totals"]["in_sync"], 6, "{after:#}");
    assert_eq!(after["summary"]["totals"]["mismatches"], 1, "{after:#}");
    assert_eq!(rows_of_class(&after, "orphan").len(), 1, "{after:#}");

    // Every reconcile is kept; --list lists them newest first, --show renders one again.
    let list = run_ferry(dir, &["reconcile", "--list"]).await;
    assert_eq!(list.status.code(), Some(0), "{}", text(&list.stderr));
    let list = text(&list.stdout);
    let ids: Vec<&str> = list
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["4", "3", "2", "1"], "{list}");
    assert!(list.lines().nth(1).unwrap().contains(" command "), "{list}");
    let json = run_ferry(dir, &["reconcile", "--list", "--format", "json"]).await;
    let kept: Vec<Value> = text(&json.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert_eq!(kept[1]["id"], 3);
    assert_eq!(kept[1]["origin"], "command");
    assert_eq!(kept[1]["pipelines"], json!(["capsule_contacts_to_stripe"]));
    assert_eq!(
        kept[2]["mismatches"], 4,
        "the drift, the deleted, the missing, the orphan"
    );
    let shown = run_ferry(dir, &["reconcile", "--show", "3", "--format", "json"]).await;
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(outcomes(&shown), expected("updated", "created"));
    let html = run_ferry(
        dir,
        &[
            "reconcile",
            "--show",
            "2",
            "--format",
            "html",
            "--out",
            "report.html",
        ],
    )
    .await;
    assert_eq!(html.status.code(), Some(0), "{}", text(&html.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("4 mismatches need a look"), "{html}");
    assert!(html.contains("<title>orphans: 1</title>"), "{html}");
    assert!(html.contains("Hand Edited"), "{html}");
    let missing = run_ferry(dir, &["reconcile", "--show", "99"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no reconcile report 99"));
}

#[tokio::test(flavor = "multi_thread")]
async fn since_compares_only_the_records_changed_since() {
    let world = world(None, None).await;
    world.add_people(0..4);
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    let drifted = customer_of(&world, 0).await;
    world
        .stripe_post(&format!("/v1/customers/{drifted}"), "name=Hand+Edited")
        .await;

    let (_, all, _) = reconcile_json(dir).await;
    assert_eq!(all["summary"]["totals"]["read"], 4, "{all:#}");
    assert_eq!(all["summary"]["scope"], "all records");

    // Person 3 changes in Capsule now: only it is read, and the drift of person 0 (changed
    // before) is out of scope.
    let since = jiff::Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    world.edit_person(3, |party| party.first_name = Some("Renamed".into()));
    let output = run_ferry(
        dir,
        &[
            "reconcile",
            CAPSULE_TO_STRIPE,
            "--since",
            &since.to_string(),
            "--format",
            "json",
        ],
    )
    .await;
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["totals"]["read"], 1, "{report:#}");
    assert_eq!(
        report["summary"]["scope"],
        format!("records changed since {since}")
    );
    let drift = rows_of_class(&report, "field_drift");
    assert_eq!(drift.len(), 1, "{report:#}");
    assert_eq!(drift[0]["source_id"], "100003");
}

/// `ferry serve` of the project in `dir` for `pipeline`, on a free port, its log in `log`.
fn spawn_serve(dir: &Path, pipeline: &str, log: &Path) -> tokio::process::Child {
    let bind = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", pipeline, "--bind", &bind.to_string()])
        .current_dir(dir)
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::fs::OpenOptions::new().append(true).open(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ferry_serve_runs_the_reconcile_schedules_and_keeps_their_reports() {
    let world = world(None, None).await;
    world.add_people(0..3);
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    run_ferry(dir, &["run", CAPSULE_TO_STRIPE]).await;
    let (drifted, _, _) = change_behind_ferrys_back(&world).await;
    let written = std::fs::read_to_string(&project).unwrap();

    // A schedule naming a pipeline the server does not serve is refused at start.
    std::fs::write(
        &project,
        format!("{written}reconcile:\n  often:\n    every: 1s\n    pipelines: [elsewhere]\n"),
    )
    .unwrap();
    let log = dir.join("refused.log");
    let refused = spawn_serve(dir, CAPSULE_TO_STRIPE, &log)
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("elsewhere"), "{said}");

    std::fs::write(
        &project,
        format!(
            "{written}reconcile:\n  often:\n    every: 1s\n    pipelines: [capsule_contacts_to_stripe]\n"
        ),
    )
    .unwrap();
    let log = dir.join("serve.log");
    let mut serve = spawn_serve(dir, CAPSULE_TO_STRIPE, &log);
    let store = Store::open(&format!("sqlite://{}", dir.join("state.db").display()))
        .await
        .unwrap();
    let mut kept = Vec::new();
    for _ in 0..300 {
        kept = store.reconcile_reports(10).await.unwrap();
        if !kept.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    serve.kill().await.unwrap();
    assert!(
        !kept.is_empty(),
        "no scheduled report\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let newest = &kept[0];
    assert_eq!(newest.origin, "often");
    assert_eq!(newest.pipelines, ["capsule_contacts_to_stripe"]);
    assert_eq!(newest.mismatches, 4);
    let report: Value = serde_json::from_str(
        &store
            .reconcile_report(newest.id)
            .await
            .unwrap()
            .unwrap()
            .report,
    )
    .unwrap();
    store.close().await;
    let drift = rows_of_class(&report, "field_drift");
    assert_eq!(drift[0]["target_id"], drifted.as_str(), "{report:#}");

    let list = run_ferry(dir, &["reconcile", "--list"]).await;
    assert!(
        text(&list.stdout).contains(" often "),
        "{}",
        text(&list.stdout)
    );
}
