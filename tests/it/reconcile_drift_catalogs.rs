//! Seeded drift against `ferry reconcile` on the shipped catalogue pipelines that write Stripe
//! products and prices from an ERP: Syspro's stock items (one pipeline, two steps) and Pronto's
//! products and prices (two pipelines). Products are renamed and prices given another lookup key
//! in Stripe, as a user would in the dashboard, and products added by hand; reconcile finds each
//! change on its record, and the products pipeline, which lists the whole catalogue, finds what was
//! added as orphans; nothing else.

use ferry::sandbox::DriftKind;
use ferry::sandbox::drift::value_at;

use crate::reconcile_drift::{found_rows, reconcile, run_pipeline, with_shipped_pipelines};
use crate::reconcile_drift_flows::finds_exactly_the_drift;
use crate::run_support;

use run_support::*;

/// `ferry sandbox drift` arguments for Stripe's `collection`.
fn stripe_drift<'a>(
    collection: &'a str,
    change: &'a str,
    fields: &'a str,
    seed: &'a str,
) -> Vec<&'a str> {
    vec![
        "--system",
        "stripe",
        "--collection",
        collection,
        "--change",
        change,
        "--add",
        "1",
        "--seed",
        seed,
        "--fields",
        fields,
    ]
}

/// Each change drift made is on the object it names, read back from the Stripe emulator.
fn assert_changed_in_stripe(world: &World, records: &[ferry::sandbox::DriftRecord]) {
    for action in records.iter().flat_map(|r| &r.actions) {
        let object = if action.collection == "products" {
            "product"
        } else {
            "price"
        };
        let objects = world.stripe.objects(object);
        let found = objects.iter().find(|o| o["id"] == action.id.as_str());
        let found = found.unwrap_or_else(|| panic!("{action:?} is not in Stripe"));
        if action.action == DriftKind::Changed {
            let field = action.field.as_deref().unwrap();
            assert_eq!(Some(value_at(found, field)), action.after, "{action:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn syspro_items_to_stripe_finds_every_drifted_product_and_price_and_nothing_else() {
    let world = world(None, None).await;
    let project = with_shipped_pipelines(&world);
    let dir = project.parent().unwrap();
    let summary = run_pipeline(dir, "syspro_items_to_stripe").await;
    // Four stock items: a product and a price each.
    assert!(summary.contains("8 created"), "{summary}");

    let products = stripe_drift("products", "2", "name", "3");
    let prices = stripe_drift("prices", "2", "lookup_key", "4");
    let records =
        finds_exactly_the_drift(&world, dir, "syspro_items_to_stripe", &[&products, &prices]).await;
    assert_changed_in_stripe(&world, &records);
}

#[tokio::test(flavor = "multi_thread")]
async fn pronto_products_and_prices_find_every_drifted_product_and_price_and_nothing_else() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = with_shipped_pipelines(&world);
    let dir = project.parent().unwrap();
    let products_made = world.pronto.products().len();
    assert!(products_made >= 4, "{products_made}");
    let summary = run_pipeline(dir, "pronto_products_to_stripe_products").await;
    assert!(
        summary.contains(&format!("{products_made} created")),
        "{summary}"
    );
    let summary = run_pipeline(dir, "pronto_prices_to_stripe_prices").await;
    assert!(
        summary.contains(&format!("{products_made} created")),
        "{summary}"
    );

    let products = stripe_drift("products", "3", "name,description", "5");
    let records = finds_exactly_the_drift(
        &world,
        dir,
        "pronto_products_to_stripe_products",
        &[&products],
    )
    .await;
    assert_changed_in_stripe(&world, &records);

    let prices = stripe_drift("prices", "3", "lookup_key", "6");
    let records =
        finds_exactly_the_drift(&world, dir, "pronto_prices_to_stripe_prices", &[&prices]).await;
    assert_changed_in_stripe(&world, &records);
}

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
