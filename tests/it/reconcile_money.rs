//! `ferry reconcile` of the money flows: the books story told through `ferry serve` (customers,
//! card charges, Stripe invoices, subscriptions, refunds, disputes and payouts, every webhook
//! twice and shuffled), then every finance pipeline reconciled from Stripe's events against
//! Business Central. The books are right, so the report is clean; then amounts are changed in
//! Business Central behind ferry's back, as a user would (a payout's journal reversed, a
//! payment's entry reversed, a document's line price edited), and the report finds each one as
//! an amount mismatch on its record, and nothing else.

use crate::books_support;
use crate::run_support;

use std::collections::BTreeSet;
use std::path::Path;

use books_support::serve::{PIPELINES, Serve};
use books_support::{Size, books_project, chaos_world, subscribe, tell};
use ferry::sandbox::DriftRecord;
use run_support::*;
use serde_json::Value;

const PAYOUTS: &str = "stripe_payouts_to_business_central";
const CUSTOMERS: &str = "stripe_customers_to_business_central";
const SUBSCRIPTIONS: &str = "stripe_subscriptions_to_business_central";
/// The pipelines that post payments: a charge's, a Stripe invoice's, a refund's.
const PAYING: [&str; 3] = [
    "stripe_charges_to_business_central_invoices",
    "stripe_invoices_to_business_central",
    "stripe_refunds_to_business_central",
];

/// `ferry sandbox drift` in Business Central; what it did.
async fn drift(world: &World, dir: &Path, collection: &str, args: &[&str]) -> DriftRecord {
    let mut all = vec![
        "sandbox",
        "drift",
        "--url",
        &world.base,
        "--system",
        "business_central",
        "--collection",
        collection,
        "--seed",
        "3",
        "--record",
        "drift.json",
    ];
    all.extend_from_slice(args);
    let output = run_ferry(dir, &all).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_str(&std::fs::read_to_string(dir.join("drift.json")).unwrap()).unwrap()
}

fn amount(value: &Value) -> rust_decimal::Decimal {
    value.to_string().parse().unwrap()
}

fn rows_of<'a>(report: &'a Value, class: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["class"] == class)
        .collect()
}

pub(crate) async fn reconcile(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["reconcile", "--format", "json"];
    all.extend_from_slice(args);
    let output = run_ferry(dir, &all).await;
    let stdout = text(&output.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("{error}: {stdout}\n{}", text(&output.stderr)));
    (output.status.code(), report, text(&output.stderr))
}

fn small() -> Size {
    Size {
        customers: 6,
        charges: 30,
        seed: 11,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_books_reconcile_clean_and_every_amount_changed_behind_ferrys_back_is_found() {
    let world = chaos_world(small().seed).await;
    let project = books_project(&world);
    let mut serve = Serve::in_process(&project).await;
    subscribe(&world, &serve);
    let (story, _) = tell(&world, &mut serve, small(), async |_| {}).await;
    serve.stop().await;
    let dir = project.parent().unwrap();

    let (code, report, _) = reconcile(dir, PIPELINES).await;
    for summary in report["summary"]["pipelines"].as_array().unwrap() {
        eprintln!(
            "{}: read {} in sync {} requests {}",
            summary["pipeline"], summary["read"], summary["in_sync"], summary["requests"]
        );
    }
    let pipelines = report["summary"]["pipelines"].as_array().unwrap();
    assert_eq!(pipelines.len(), PIPELINES.len(), "{report:#}");
    assert_eq!(report["rows"], Value::Array(Vec::new()), "{report:#}");
    assert_eq!(code, Some(0), "{report:#}");
    let in_sync: u64 = pipelines
        .iter()
        .map(|p| p["in_sync"].as_u64().unwrap())
        .sum();
    assert!(in_sync as usize > story.charges.len(), "{report:#}");

    // Behind ferry's back: two payouts' journals reversed, every payment reversed (a charge's,
    // an invoice's, a refund's), two customers renamed, and a subscriber's link edited.
    let journals = drift(&world, dir, "generalLedgerEntries", &["--change", "2"]).await;
    let reversed_documents: BTreeSet<String> = journals
        .actions
        .iter()
        .map(|a| {
            let before = a.before.as_ref().unwrap();
            format!(
                "of document {} of {}",
                before["documentNumber"].as_str().unwrap(),
                before["postingDate"].as_str().unwrap()
            )
        })
        .collect();
    let posted = world.business_central("customerLedgerEntries").await;
    let all_payments = posted
        .iter()
        .filter(|e| e["documentType"] == "Payment")
        .count()
        .to_string();
    let payments = drift(
        &world,
        dir,
        "customerLedgerEntries",
        &["--change", &all_payments],
    )
    .await;
    let reversed_payments: BTreeSet<String> = payments
        .actions
        .iter()
        .map(|a| {
            let external = &a.before.as_ref().unwrap()["externalDocumentNumber"];
            format!("externalDocumentNumber {external}")
        })
        .collect();
    assert!(
        reversed_payments.len() > story.charges.len(),
        "{payments:#?}"
    );
    let renamed = drift(&world, dir, "customers", &["--change", "2"]).await;
    let relinked = drift(
        &world,
        dir,
        "customers",
        &["--change", "1", "--fields", "website"],
    )
    .await;

    let (code, report, _) = reconcile(dir, PIPELINES).await;
    assert_eq!(code, Some(1), "{report:#}");
    let amounts = rows_of(&report, "amount_mismatch");
    // Each reversed journal: its accounts, each now at zero against the payout's lines.
    let journal_rows: Vec<&&Value> = amounts
        .iter()
        .filter(|row| row["pipeline"] == PAYOUTS)
        .collect();
    let named: BTreeSet<String> = journal_rows
        .iter()
        .map(|row| {
            let field = row["field"].as_str().unwrap();
            field[field.find("of document").unwrap()..].to_string()
        })
        .collect();
    assert_eq!(named, reversed_documents, "{report:#}");
    for row in &journal_rows {
        assert!(amount(&row["target_value"]).is_zero(), "{report:#}");
        assert!(!amount(&row["pipeline_value"]).is_zero(), "{report:#}");
    }
    // Each reversed payment: its entries now add up to nothing, once.
    let payment_rows: Vec<&&Value> = amounts
        .iter()
        .filter(|row| row["pipeline"] != PAYOUTS)
        .collect();
    let named: BTreeSet<String> = payment_rows
        .iter()
        .map(|row| {
            let field = row["field"].as_str().unwrap();
            field[field.find("externalDocumentNumber").unwrap()..].to_string()
        })
        .collect();
    assert_eq!(named, reversed_payments, "{report:#}");
    assert_eq!(payment_rows.len(), reversed_payments.len(), "{report:#}");
    let paying: BTreeSet<&str> = payment_rows
        .iter()
        .map(|row| row["pipeline"].as_str().unwrap())
        .collect();
    assert_eq!(paying, BTreeSet::from(PAYING), "{report:#}");
    for row in &payment_rows {
        assert!(amount(&row["target_value"]).is_zero(), "{report:#}");
    }
    // Each renamed customer: field drift of its display name, in the customers' pipeline; the
    // subscriber's link, in the subscriptions' pipeline.
    let drifted: BTreeSet<(String, String, String)> = rows_of(&report, "field_drift")
        .iter()
        .map(|row| {
            (
                row["pipeline"].as_str().unwrap().to_string(),
                row["target_id"].as_str().unwrap().to_string(),
                row["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = renamed
        .actions
        .iter()
        .map(|a| (CUSTOMERS, a))
        .chain(relinked.actions.iter().map(|a| (SUBSCRIPTIONS, a)))
        .map(|(pipeline, a)| (pipeline.to_string(), a.id.clone(), a.field.clone().unwrap()))
        .collect();
    assert_eq!(drifted, expected, "{report:#}");
    // Nothing else.
    let rows = report["rows"].as_array().unwrap().len();
    assert_eq!(
        rows,
        journal_rows.len() + payment_rows.len() + expected.len(),
        "{report:#}"
    );
    let totals = &report["summary"]["totals"];
    let amount_records = 2 + reversed_payments.len();
    assert_eq!(totals["amount_mismatch"], amount_records, "{report:#}");
    assert_eq!(totals["field_drift"], 3, "{report:#}");

    // `--fix` renames the customers back and leaves the ledgers to the accountant.
    let mut args = vec!["--fix"];
    args.extend_from_slice(PIPELINES);
    let (code, fixed, _) = reconcile(dir, &args).await;
    assert_eq!(code, Some(1), "{fixed:#}");
    let outcomes: BTreeSet<(&str, &str)> = fixed["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["class"].as_str().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        BTreeSet::from([("field_drift", "updated")]),
        "{fixed:#}"
    );
    let (_, after, _) = reconcile(dir, PIPELINES).await;
    assert!(rows_of(&after, "field_drift").is_empty(), "{after:#}");
    assert_eq!(rows_of(&after, "amount_mismatch").len(), amounts.len());

    // The accountant's page: totals per currency, and the ledger rows.
    let mut args = vec!["--format", "html"];
    args.extend_from_slice(PIPELINES);
    let output = run_ferry(dir, &[&["reconcile"][..], &args].concat()).await;
    let html = text(&output.stdout);
    assert!(html.contains("Amounts that differ, per currency"), "{html}");
    assert!(
        html.contains(&format!("amounts differ (records): {amount_records}")),
        "{html}"
    );
}

const PAYOUTS_PIPELINE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_payouts_to_business_central.ferry"
);

/// Stripe keeps 30 days of events; a reconcile reads a payout pipeline's history from the
/// payouts list, so last quarter's payouts are compared as well as last week's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_older_than_stripes_30_days_of_events_is_reconciled_from_the_payouts_list() {
    let world = world_seeded(None, None, Some(7)).await;
    let (project, _) = world.project_with_journal(1000).await;
    let dir = project.parent().unwrap();
    world.sandbox_charges(&[12550, 990, 43000], None).await;
    let payout = world
        .stripe_post(
            "/v1/sandbox/payouts",
            "currency=aud&fees[0][amount]=999&fees[0][description]=Radar",
        )
        .await;
    let payout = payout["id"].as_str().unwrap().to_string();
    let run = run_ferry(dir, &["run", PAYOUTS_PIPELINE]).await;
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));

    // 31 days on, Stripe lists none of the payout's events any more.
    let now = jiff::Timestamp::now().as_second();
    world.stripe.set_clock(now + 31 * 86_400);
    let events = world.stripe_get("/v1/events?type=payout.paid").await;
    assert_eq!(events["data"], serde_json::json!([]), "{events:#}");

    let (code, report, _) = reconcile(dir, &[PAYOUTS_PIPELINE]).await;
    assert_eq!(code, Some(0), "{report:#}");
    let summary = &report["summary"]["pipelines"][0];
    assert_eq!(summary["read"], 1, "{report:#}");
    assert!(summary["in_sync"].as_u64().unwrap() >= 5, "{report:#}");

    let reversed = drift(&world, dir, "generalLedgerEntries", &["--change", "1"]).await;
    assert_eq!(reversed.actions[0].id, payout[..20], "{reversed:#?}");
    let (code, report, _) = reconcile(dir, &[PAYOUTS_PIPELINE]).await;
    assert_eq!(code, Some(1), "{report:#}");
    let rows = rows_of(&report, "amount_mismatch");
    assert!(!rows.is_empty(), "{report:#}");
    for row in rows {
        assert_eq!(
            row["source_id"].as_str().unwrap().split('#').next(),
            Some(payout.as_str())
        );
    }
}
