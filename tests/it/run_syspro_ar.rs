//! Stripe charges paid and refunded in Syspro's receivables: the payment (ARSTPY) is applied to
//! the invoice the charge's sales order became, each refund is a credit note (ARSTIN) on that
//! invoice and its money paid back (a negative ARSTPY payment of that credit), and the
//! emulator's invoice and customer balances say so. No invoice, no payment: the payment is
//! dead-lettered and replayed once the order is invoiced. (The ARSTPY and ARSTIN rules
//! themselves are in `sandbox_syspro_api`.)

use crate::run_support;
use crate::run_syspro::{CHARGES, CUSTOMERS};

const REFUNDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_refunds_to_syspro.ferry"
);

use run_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_waits_for_its_invoice_and_then_closes_it() {
    let world = world(None, None).await;
    world.syspro.data().invoice_on_import = false;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let customer = world
        .stripe_post("/v1/customers", "email=mary%40example.com&name=Mary")
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    let charges = world.sandbox_charges(&[4999], Some(customer_id)).await;
    let run = run_ferry(dir, &["run", CUSTOMERS, "--backfill"]).await;
    assert!(run.status.success(), "{}", text(&run.stderr));

    // The order is imported; its payment has no invoice to go to yet.
    let run = run_ferry(dir, &["run", CHARGES, "--backfill"]).await;
    let summary = text(&run.stdout);
    assert!(
        summary.contains(
            "1 read, 1 created, 0 updated, 0 unchanged, 0 filtered, 0 skipped, 1 dead-lettered"
        ),
        "{summary}"
    );
    let number = {
        let data = world.syspro.data();
        assert!(data.payments.is_empty() && data.invoices.is_empty());
        let order = data.orders.values().next().unwrap();
        assert_eq!(order.get("OrderStatus"), "1");
        order.get("SalesOrder").to_string()
    };
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letter: serde_json::Value = serde_json::from_str(text(&list.stdout).trim()).unwrap();
    assert_eq!(letter["error_code"], "syspro_error");
    let reason = letter["error_message"].as_str().unwrap();
    assert!(
        reason.contains("ARSTPY (Transaction/Post)")
            && reason.contains(&format!("sales order {number} of customer"))
            && reason.contains("is not invoiced yet"),
        "{reason}"
    );

    // The site's invoicing run invoices the order; the replayed payment closes the invoice.
    let invoice = world.syspro.invoice_order(&number).unwrap();
    {
        let data = world.syspro.data();
        assert_eq!(data.invoices[&invoice].get("InvoiceBal1"), "49.99");
        let code = data.orders[&number].get("Customer").to_string();
        assert_eq!(data.customers[&code].get("CurrentBalance"), "49.99");
    }
    let id = letter["id"].to_string();
    let replay = run_ferry(dir, &["dlq", "replay", &id, "--from", CHARGES]).await;
    assert!(
        text(&replay.stdout).contains("1 resolved"),
        "{}{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
    let data = world.syspro.data();
    let invoice = &data.invoices[&invoice];
    assert_eq!(invoice.get("InvoiceBal1"), "0.00");
    assert_eq!(data.payments.len(), 1);
    assert_eq!(data.payments[0]["Reference"], charges[0]);
    assert_eq!(data.payments[0]["PaymentValue"], "49.99");
    assert_eq!(
        data.customers[invoice.get("Customer")].get("CurrentBalance"),
        "0.00"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_refund_is_one_credit_note_on_the_charges_invoice() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let customer = world
        .stripe_post("/v1/customers", "email=ada%40example.com&name=Ada")
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    let charge = world
        .sandbox_charges(&[12550], Some(customer_id))
        .await
        .remove(0);
    for pipeline in [CUSTOMERS, CHARGES] {
        let run = run_ferry(dir, &["run", pipeline, "--backfill"]).await;
        assert!(run.status.success(), "{}", text(&run.stderr));
    }
    let refunds = world.refunds(&charge, &[2550, 5450]).await;

    // Two events, each reading both refunds: two credit notes and two refund payments, the
    // second event's unchanged.
    let run = run_ferry(dir, &["run", REFUNDS, "--backfill"]).await;
    let summary = text(&run.stdout);
    assert!(
        summary.contains("stripe_refunds_to_syspro: 2 read, 4 created, 0 updated, 4 unchanged, 0 filtered, 0 skipped, 0 dead-lettered"),
        "{summary}{}",
        text(&run.stderr)
    );
    let again = run_ferry(dir, &["run", REFUNDS, "--backfill"]).await;
    assert!(
        text(&again.stdout).contains("0 created, 0 updated, 8 unchanged"),
        "{}",
        text(&again.stdout)
    );

    // Reconcile reads every payment and credit note back: all as written.
    for pipeline in [CHARGES, REFUNDS] {
        let output = run_ferry(dir, &["reconcile", pipeline, "--format", "json"]).await;
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", text(&output.stderr)));
        assert_eq!(report["rows"], serde_json::json!([]), "{report:#}");
        assert_eq!(output.status.code(), Some(0), "{report:#}");
    }

    let data = world.syspro.data();
    let invoice = data.invoices.values().next().unwrap();
    assert_eq!(invoice.get("InvoiceValue"), "125.50");
    // Paid (0.00), credited 25.50 and 54.50 (-80.00), and the 80.00 paid back: nothing open.
    assert_eq!(invoice.get("InvoiceBal1"), "0.00");
    assert_eq!(
        data.customers[invoice.get("Customer")].get("CurrentBalance"),
        "0.00"
    );
    let paid_back: std::collections::BTreeSet<(&str, &str, &str, &str)> = data
        .payments
        .iter()
        .filter(|row| row["Reference"].starts_with("re_"))
        .map(|row| {
            (
                row["Reference"].as_str(),
                row["Invoice"].as_str(),
                row["PaymentValue"].as_str(),
                row["Bank"].as_str(),
            )
        })
        .collect();
    let number = invoice.get("Invoice");
    assert_eq!(
        paid_back,
        [
            (refunds[0].as_str(), number, "-25.50", "STRIPE"),
            (refunds[1].as_str(), number, "-54.50", "STRIPE"),
        ]
        .into_iter()
        .collect()
    );
    // Into the Stripe bank's clearing account with the charge, out of it with the refunds.
    let clearing: rust_decimal::Decimal = data
        .gl
        .iter()
        .filter(|row| row["LedgerCode"] == "1150")
        .map(|row| row["EntryAmount"].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(clearing.to_string(), "45.50");
    // Made in the same second, the two refunds may be journalled in either order.
    let credits: std::collections::BTreeSet<(&str, &str, &str)> = data
        .credits
        .iter()
        .map(|row| {
            (
                row["Reference"].as_str(),
                row["Invoice"].as_str(),
                row["InvoiceValue"].as_str(),
            )
        })
        .collect();
    let invoice = invoice.get("Invoice");
    let expected = [
        (refunds[0].as_str(), invoice, "25.50"),
        (refunds[1].as_str(), invoice, "54.50"),
    ];
    assert_eq!(credits, expected.into_iter().collect());
}
