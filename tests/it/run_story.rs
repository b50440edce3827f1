//! The whole story against the sandbox, through three pipelines: a charge becomes the customer,
//! a sales invoice and a posted payment that closes it; a partial and then a final refund become two
//! credit memos against that invoice; the payouts become journals that balance to the cent and
//! are posted to the general ledger.
//! Running everything again writes nothing.

use crate::run_support;

use ferry::store::{AuditFilter, DeadLetterFilter};
use run_support::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn pipeline(name: &str) -> String {
    format!("{}/pipelines/{name}.ferry", env!("CARGO_MANIFEST_DIR"))
}

fn decimal(value: &Value) -> Decimal {
    value.to_string().parse().unwrap()
}

#[tokio::test]
async fn charge_invoice_payment_refunds_credit_memos_and_payout_journals() {
    let world = world_seeded(None, None, Some(7)).await;
    let (project, journal) = world.project_with_journal(1000).await;
    let customer = world
        .stripe_post("/v1/customers", "email=ada%40lovelace.example&name=Ada")
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    let first = world
        .sandbox_charges(&[12550], Some(&customer_id))
        .await
        .remove(0);

    // A partial refund paid out with the first charge; then the rest, paid out with a second.
    world
        .stripe_post(
            "/v1/sandbox/payouts",
            &format!("currency=aud&refunds[0][charge]={first}&refunds[0][amount]=2550"),
        )
        .await;
    let second = world
        .sandbox_charges(&[50000], Some(&customer_id))
        .await
        .remove(0);
    world
        .stripe_post(
            "/v1/sandbox/payouts",
            &format!("currency=aud&charges[0]={second}&refunds[0][charge]={first}"),
        )
        .await;

    let mut created = 0;
    let mut stores = Vec::new();
    for name in [
        "stripe_charges_to_business_central_invoices",
        "stripe_refunds_to_business_central",
        "stripe_payouts_to_business_central",
    ] {
        let (runner, job, store) = runner(&project, &pipeline(name)).await;
        let report = run(&runner, &job).await;
        let letters = store
            .dead_letters(&DeadLetterFilter::default())
            .await
            .unwrap();
        assert!(letters.is_empty(), "{name}: {letters:#?}");
        created += report.created;
        stores.push((runner, job, store));
    }

    let invoices = world.business_central("salesInvoices").await;
    let invoice = invoices
        .iter()
        .find(|i| i["externalDocumentNumber"] == first.as_str())
        .unwrap();
    // The payment was posted and closed the invoice; the refunds' credit memos came after, so
    // they stay open on the customer as its credit.
    let entries = world.business_central("customerLedgerEntries").await;
    let payment = entries
        .iter()
        .find(|e| e["externalDocumentNumber"] == first.as_str() && e["documentType"] == "Payment")
        .unwrap();
    assert_eq!(
        invoice["status"], "Paid",
        "the invoice is posted and paid: {invoice:#}"
    );
    assert_eq!(decimal(&invoice["remainingAmount"]), Decimal::ZERO);
    assert_eq!(decimal(&payment["amount"]), Decimal::new(-12550, 2));
    assert_eq!(payment["open"], false);

    let memos: Vec<Value> = world
        .business_central("salesCreditMemos?$expand=salesCreditMemoLines")
        .await
        .into_iter()
        .filter(|m| m["invoiceId"] == invoice["id"])
        .collect();
    assert_eq!(memos.len(), 2, "{memos:#?}");
    let mut credited: Vec<Decimal> = memos
        .iter()
        .map(|m| decimal(&m["salesCreditMemoLines"][0]["unitPrice"]))
        .collect();
    credited.sort();
    assert_eq!(credited, [Decimal::new(2550, 2), Decimal::new(10000, 2)]);
    assert!(
        memos
            .iter()
            .all(|m| m["customerNumber"] == invoice["customerNumber"])
    );

    // The payouts' journals were posted: their lines left the journal for the ledger.
    let lines = world
        .business_central(&format!("journals({journal})/journalLines"))
        .await;
    assert!(lines.is_empty(), "{lines:#?}");
    let entries = world.business_central("generalLedgerEntries").await;
    let payouts: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e["documentNumber"].as_str())
        .filter(|n| n.starts_with("po_"))
        .collect();
    assert_eq!(payouts.len(), 2);
    for payout in payouts {
        let sum = |key: &str| -> Decimal {
            entries
                .iter()
                .filter(|e| e["documentNumber"] == payout)
                .map(|e| decimal(&e[key]))
                .sum()
        };
        assert_eq!(sum("debitAmount"), sum("creditAmount"), "{payout}");
    }

    // The books balance: every document's entries sum to zero in local currency.
    let ledger = world.business_central("generalLedgerEntries").await;
    let total = |key: &str| -> Decimal { ledger.iter().map(|e| decimal(&e[key])).sum() };
    assert_eq!(total("debitAmount"), total("creditAmount"));
    // Everything received through Stripe was paid out (charges in, refunds back to the
    // customer, fees, the bank): the Stripe clearing account is back at zero.
    let clearing: Decimal = ledger
        .iter()
        .filter(|e| e["accountNumber"] == "10950")
        .map(|e| decimal(&e["debitAmount"]) - decimal(&e["creditAmount"]))
        .sum();
    assert_eq!(
        clearing,
        Decimal::ZERO,
        "the clearing account after the payouts"
    );
    // The refunds were paid out of the customer's balance: nothing is left open on it.
    let customer = world
        .business_central("customers")
        .await
        .into_iter()
        .find(|c| c["number"] == invoice["customerNumber"])
        .unwrap();
    assert_eq!(
        decimal(&customer["balanceDue"]),
        Decimal::ZERO,
        "{customer:#}"
    );

    for (runner, job, _) in &stores {
        let again = run_backfill(runner, job).await;
        assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    }
    // The pipelines share one store: every write was audited, once, and each journal's post.
    let audited = stores[0]
        .2
        .audit_entries(&AuditFilter::default())
        .await
        .unwrap();
    // Two payout journal posts, two customer payment journal posts (one per charge), and one
    // for the refunds (both refunds exist when their first event is delivered, so one record
    // pays both out).
    assert_eq!(audited.len() as u64, created + 5, "{audited:#?}");
}
