//! The finance flows through `ferry serve` while the Stripe emulator sends every event twice and
//! in shuffled order: each charge still becomes one customer, one posted invoice and one posted
//! payment that closes it,
//! and each payout one journal that balances, posted once, with its refund one credit memo.

use crate::run_support;

use std::collections::BTreeSet;
use std::time::Duration;

use ferry::project::Secret;
use ferry::sandbox::stripe::{StripeOptions, WebhookDelivery, WebhookEndpoint};
use ferry::store::{DeadLetterFilter, Store};
use run_support::serve::*;
use run_support::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn pipeline(name: &str) -> String {
    format!("{}/pipelines/{name}.ferry", env!("CARGO_MANIFEST_DIR"))
}

/// Waits (at most 30 s) until every stored event is processed and `done` holds.
async fn settle(store: &Store, what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        let stats = store.inbox_stats().await.unwrap();
        let pending = stats.pending + stats.processing + stats.failed > 0;
        if !pending && done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

fn ours<'a>(entities: &'a [Value], ids: &BTreeSet<String>) -> Vec<&'a Value> {
    entities
        .iter()
        .filter(|e| {
            e["externalDocumentNumber"]
                .as_str()
                .is_some_and(|n| ids.contains(n))
        })
        .collect()
}

/// Payments of `ids` posted to the customer ledger.
fn posted_payments(entries: &[Value], ids: &BTreeSet<String>) -> usize {
    ours(entries, ids)
        .iter()
        .filter(|e| e["documentType"] == "Payment")
        .count()
}

/// A general ledger entry of a payout's journal.
fn is_payout(entry: &Value) -> bool {
    entry["documentNumber"]
        .as_str()
        .is_some_and(|n| n.starts_with("po_"))
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicated_and_shuffled_events_have_each_effect_once() {
    let chaos = StripeOptions {
        seed: Some(5),
        rate_limit: None,
        seed_customers: 0,
        seed_charges: 0,
        seed_products: 0,
        webhook_delivery: WebhookDelivery {
            duplicate_rate: 1.0,
            shuffle: true,
            first_retry_delay: Duration::from_millis(10),
            ..WebhookDelivery::default()
        },
        ..StripeOptions::default()
    };
    let world = world_with(None, chaos, Some(7)).await;
    let (project, journal) = world.project_with_journal(1000).await;
    let pipelines = [
        pipeline("stripe_charges_to_business_central_invoices"),
        pipeline("stripe_refunds_to_business_central"),
        pipeline("stripe_payouts_to_business_central"),
    ];
    let names: Vec<&str> = pipelines.iter().map(String::as_str).collect();
    let (handle, store) = serve_project(&project, 3, &names).await;
    world.stripe.add_webhook_endpoint(WebhookEndpoint::new(
        format!("http://{}/webhooks/stripe/stripe", handle.local_addr),
        Secret::new(WEBHOOK_SECRET),
    ));

    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=kath%40johnson.example&name=Katherine",
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    let charges: BTreeSet<String> = world
        .sandbox_charges(&[12550, 990, 43000, 777], Some(&customer_id))
        .await
        .into_iter()
        .collect();
    let world_ref = &world;
    settle(
        &store,
        "the charges' invoices and posted payments",
        async || {
            posted_payments(
                &world_ref.business_central("customerLedgerEntries").await,
                &charges,
            ) == 4
        },
    )
    .await;

    // Refund part of the first charge, paid out with the rest once the invoices exist.
    let first = charges.iter().next().unwrap().clone();
    world
        .stripe_post(
            "/v1/sandbox/payouts",
            &format!("currency=aud&refunds[0][charge]={first}&refunds[0][amount]=500"),
        )
        .await;
    // Each refund is credited under its own id.
    let refunds: BTreeSet<String> = world
        .stripe
        .objects("refund")
        .iter()
        .filter(|r| r["charge"] == first.as_str())
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(refunds.len(), 1);
    let refunds = &refunds;
    settle(
        &store,
        "the credit memo and the posted journal",
        async || {
            let memos = world_ref.business_central("salesCreditMemos").await;
            let entries = world_ref.business_central("generalLedgerEntries").await;
            memos.iter().any(|m| {
                m["externalDocumentNumber"]
                    .as_str()
                    .is_some_and(|n| refunds.contains(n))
            }) && entries.iter().any(is_payout)
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    settle(&store, "the duplicates", async || true).await;

    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(letters.is_empty(), "{letters:#?}");
    let customers = world.business_central("customers").await;
    assert_eq!(
        customers
            .iter()
            .filter(|c| c["email"] == "kath@johnson.example")
            .count(),
        1
    );
    let invoices = world.business_central("salesInvoices").await;
    assert_eq!(ours(&invoices, &charges).len(), 4);
    // Each payment was posted once and closed its invoice.
    let unposted = world.business_central("customerPayments").await;
    assert!(ours(&unposted, &charges).is_empty(), "{unposted:#?}");
    let receivables = world.business_central("customerLedgerEntries").await;
    assert_eq!(posted_payments(&receivables, &charges), 4);
    assert!(
        ours(&invoices, &charges)
            .iter()
            .all(|i| i["status"] == "Paid"),
        "{invoices:#?}"
    );
    let memos: Vec<Value> = world
        .business_central("salesCreditMemos")
        .await
        .into_iter()
        .filter(|m| {
            m["externalDocumentNumber"]
                .as_str()
                .is_some_and(|n| refunds.contains(n))
        })
        .collect();
    assert_eq!(memos.len(), 1, "{memos:#?}");
    // The journal was posted once: its lines left it for the ledger.
    let lines = world
        .business_central(&format!("journals({journal})/journalLines"))
        .await;
    assert!(lines.is_empty(), "{lines:#?}");
    let entries = world.business_central("generalLedgerEntries").await;
    let sum = |key: &str| -> Decimal {
        entries
            .iter()
            .map(|e| e[key].to_string().parse::<Decimal>().unwrap())
            .sum()
    };
    assert_eq!(sum("debitAmount"), sum("creditAmount"));
    // The payout's bank, four charges, the refund and four processing fees: once each.
    let payout: Vec<&Value> = entries.iter().filter(|e| is_payout(e)).collect();
    assert_eq!(payout.len(), 10, "{payout:#?}");
    handle.shutdown().await;
}
