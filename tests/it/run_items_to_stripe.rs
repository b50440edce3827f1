//! Business Central items into Stripe products and prices (a two-step pipeline): each item
//! becomes one product and one active price; a new unit price makes a new price that takes
//! over the lookup key, and the old price is deactivated, because Stripe prices are immutable.

use crate::run_support;

use run_support::*;
use serde_json::{Value, json};

const ITEMS_TO_STRIPE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/business_central_items_to_stripe.ferry"
);

fn prices_of<'a>(world: &'a [Value], number: &str) -> Vec<&'a Value> {
    world
        .iter()
        .filter(|p| p["metadata"]["bc_item_number"] == number)
        .collect()
}

#[tokio::test]
async fn items_become_products_and_a_new_unit_price_replaces_the_stripe_price() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let items: Vec<Value> = world
        .business_central("items")
        .await
        .into_iter()
        .filter(|i| i["blocked"] != true)
        .collect();
    assert!(!items.is_empty());

    let (runner, job, store) = runner(&project, ITEMS_TO_STRIPE).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(report.created as usize, items.len() * 2, "{report:?}");
    let products = world.stripe.objects("product");
    assert_eq!(
        products
            .iter()
            .filter(|p| !p["metadata"]["bc_item_number"].is_null())
            .count(),
        items.len()
    );

    let item = &items[0];
    let number = item["number"].as_str().unwrap();
    let old_price = prices_of(&world.stripe.objects("price"), number)[0].clone();
    world
        .business_central_patch(
            &format!("items({})", item["id"].as_str().unwrap()),
            item["@odata.etag"].as_str().unwrap(),
            json!({ "unitPrice": 1234.56 }),
        )
        .await;
    let changed = run(&runner, &job).await;
    assert_eq!((changed.created, changed.updated), (0, 1), "{changed:?}");

    let prices = world.stripe.objects("price");
    let prices = prices_of(&prices, number);
    assert_eq!(prices.len(), 2, "{prices:#?}");
    let old = prices.iter().find(|p| p["id"] == old_price["id"]).unwrap();
    let new = prices.iter().find(|p| p["id"] != old_price["id"]).unwrap();
    assert_eq!(old["active"], false);
    assert_eq!(old["lookup_key"], Value::Null);
    assert_eq!(new["active"], true);
    assert_eq!(new["unit_amount"], 123456);
    assert_eq!(new["lookup_key"], format!("bc-item-{number}"));
    assert_eq!(new["product"], old_price["product"]);

    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
}
