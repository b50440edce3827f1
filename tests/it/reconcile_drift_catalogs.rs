//! Seeded drift against `ferry reconcile` on the shipped catalogue pipelines that write Stripe
//! products and prices from an ERP: Syspro's stock items (one pipeline, two steps) and Pronto's
//! products and prices (two pipelines). Products are renamed and prices given another lookup key
//! in Stripe, as a user would in the dashboard, and products added by hand; reconcile finds each
//! change on its record, and the products pipeline, which lists the whole catalogue, finds what was
//! added as orphans; nothing else.

use ferry::sandbox::DriftKind;
use ferry::sandbox::drift::value_at;

use crate::reconcile_drift::{run_pipeline, with_shipped_pipelines};
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
