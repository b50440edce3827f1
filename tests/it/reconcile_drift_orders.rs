//! Seeded drift against `ferry reconcile` on the shipped pipelines that carry orders between
//! Pronto and Stripe: Pronto's orders as draft Stripe invoices (an invoice's description or
//! purchase order edited, a line's amount edited, a draft deleted with its lines, a draft made
//! by hand), and Stripe's paid invoices as Pronto orders with their payment (a line's price or
//! the payment edited in Sales Order Entry, the reference retyped, an order deleted before it
//! was picked, an order taken by phone). Reconcile finds each change on its record and nothing
//! else; neither pipeline looks for orphans, as each writes more than one target or reads
//! events.

use ferry::sandbox::DriftKind;
use ferry::sandbox::drift::value_at;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::reconcile_drift::{found_rows, reconcile, run_pipeline, with_shipped_pipelines};
use crate::reconcile_drift_flows::finds_exactly_the_drift;
use crate::run_support;

use run_support::*;

/// Pronto's orders as draft Stripe invoices: an invoice's description or purchase order edited,
/// a line's amount or description edited, a draft deleted, and a draft made by hand.
#[tokio::test(flavor = "multi_thread")]
async fn pronto_orders_to_stripe_invoices_finds_every_drifted_invoice_and_line_and_nothing_else() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = with_shipped_pipelines(&world);
    let dir = project.parent().unwrap();
    run_pipeline(dir, "pronto_debtors_to_stripe").await;
    let summary = run_pipeline(dir, "pronto_orders_to_stripe_invoices").await;
    assert!(summary.contains("created"), "{summary}");

    let invoices = "--system stripe --collection invoices --change 2 --delete 1 --add 1 --seed 3";
    let invoices: Vec<&str> = invoices
        .split(' ')
        .chain(["--fields", "description,metadata.purchase_order"])
        .collect();
    let lines = "--system stripe --collection invoiceitems --change 3 --add 1 --seed 4";
    let lines: Vec<&str> = lines
        .split(' ')
        .chain(["--fields", "amount,description"])
        .collect();
    let records = finds_exactly_the_drift(
        &world,
        dir,
        "pronto_orders_to_stripe_invoices",
        &[&invoices, &lines],
    )
    .await;
    for action in records.iter().flat_map(|r| &r.actions) {
        let object = if action.collection == "invoices" {
            "invoice"
        } else {
            "invoiceitem"
        };
        let objects = world.stripe.objects(object);
        let found = objects.iter().find(|o| o["id"] == action.id.as_str());
        match action.action {
            DriftKind::Changed => {
                let field = action.field.as_deref().unwrap();
                let found = found.unwrap_or_else(|| panic!("{action:?} is not in Stripe"));
                assert_eq!(Some(value_at(found, field)), action.after, "{action:?}");
            }
            DriftKind::Deleted => assert!(found.is_none(), "{action:?}"),
            DriftKind::Added => assert!(found.is_some(), "{action:?}"),
        }
    }

    // `--fix` mends them through Stripe's API (a draft's description and metadata updated, a
    // line's amount set back, the deleted draft made again with its lines): what is left is
    // the orders dead-lettered for their GST.
    let fixed = run_ferry(
        dir,
        &["reconcile", "pronto_orders_to_stripe_invoices", "--fix"],
    )
    .await;
    assert_eq!(fixed.status.code(), Some(1), "{}", text(&fixed.stderr));
    let (_, report) = reconcile(dir, "pronto_orders_to_stripe_invoices").await;
    let left: Vec<_> = found_rows(&report)
        .into_iter()
        .map(|(class, _, _)| class)
        .collect();
    assert_eq!(left, ["would_fail", "would_fail"], "{report:#}");
}

/// Paid Stripe invoices for Pronto's debtors, of Pronto's products' prices: `count` of them.
async fn paid_invoices_of_pronto_products(world: &World, count: usize) {
    let customers: Vec<Value> = world
        .stripe
        .objects("customer")
        .into_iter()
        .filter(|c| c["metadata"]["pronto_debtor_code"].is_string())
        .take(count)
        .collect();
    assert_eq!(customers.len(), count);
    let prices: Vec<Value> = world
        .stripe
        .objects("price")
        .into_iter()
        .filter(|p| p["active"] == true)
        .collect();
    for (n, customer) in customers.iter().enumerate() {
        let customer = customer["id"].as_str().unwrap();
        for (price, quantity) in prices.iter().skip(n).take(2).zip([2, 1]) {
            let item = format!(
                "customer={customer}&price={}&quantity={quantity}",
                price["id"].as_str().unwrap()
            );
            world.stripe_post("/v1/invoiceitems", &item).await;
        }
        let invoice = world
            .stripe_post("/v1/invoices", &format!("customer={customer}"))
            .await;
        let id = invoice["id"].as_str().unwrap();
        world
            .stripe_post(&format!("/v1/invoices/{id}/finalize"), "")
            .await;
        world
            .stripe_post(&format!("/v1/invoices/{id}/pay"), "")
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_invoices_to_pronto_finds_every_drifted_order_and_nothing_else() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = with_shipped_pipelines(&world);
    let dir = project.parent().unwrap();
    run_pipeline(dir, "pronto_debtors_to_stripe").await;
    run_pipeline(dir, "pronto_products_to_stripe_products").await;
    run_pipeline(dir, "pronto_prices_to_stripe_prices").await;
    paid_invoices_of_pronto_products(&world, 5).await;
    let seeded = world.pronto.orders().len();
    let summary = run_pipeline(dir, "stripe_invoices_to_pronto").await;
    assert!(summary.contains("5 created"), "{summary}");

    let drift = "--system pronto --collection orders --change 3 --delete 1 --add 1 --seed 5";
    let fields = "lines[0].price_inc_tax,payment.amount,customer_reference";
    let drifted: Vec<&str> = drift.split(' ').chain(["--fields", fields]).collect();
    let records =
        finds_exactly_the_drift(&world, dir, "stripe_invoices_to_pronto", &[&drifted]).await;
    // Read back from Pronto's order/v4: each edit is there, the deleted order is gone, the
    // phone order is Pronto's own (no cross reference of ferry's points to it).
    let orders = world.pronto.orders();
    assert_eq!(orders.len(), seeded + 5 - 1 + 1);
    let order = |id: &str| {
        orders
            .iter()
            .find(|o| o["pronto_order_number"].to_string().trim_matches('"') == id)
    };
    for action in &records[0].actions {
        match action.action {
            DriftKind::Changed => {
                let shown = order(&action.id).unwrap_or_else(|| panic!("{action:?}"));
                let field = action.field.as_deref().unwrap();
                let now = match field {
                    "payment.amount" => shown["payment_amount"].clone(),
                    "lines[0].price_inc_tax" => shown["lines"][0]["price_inc_tax"].clone(),
                    other => value_at(shown, other),
                };
                let after = action.after.clone().unwrap();
                let as_decimal =
                    |v: &Value| v.to_string().trim_matches('"').parse::<Decimal>().ok();
                match as_decimal(&after) {
                    Some(amount) if after.is_number() => {
                        assert_eq!(as_decimal(&now), Some(amount), "{action:?} {shown:#}")
                    }
                    _ => assert_eq!(now, after, "{action:?}"),
                }
            }
            DriftKind::Deleted => assert!(order(&action.id).is_none(), "{action:?}"),
            DriftKind::Added => assert!(order(&action.id).is_some(), "{action:?}"),
        }
    }
}
