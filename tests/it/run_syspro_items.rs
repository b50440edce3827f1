//! Syspro stock items into Stripe products and prices: the codes listed through COMFND
//! (InvMaster), each item read whole with INVQRY, one product and one active price each; a new
//! selling price makes a new Stripe price that takes over the lookup key.

use crate::run_support;

use run_support::*;
use serde_json::Value;

const ITEMS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/syspro_items_to_stripe.ferry"
);

fn of_item<'a>(objects: &'a [Value], code: &str) -> Vec<&'a Value> {
    objects
        .iter()
        .filter(|p| p["metadata"]["syspro_stock_code"] == code)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn stock_items_become_products_and_a_new_selling_price_replaces_the_stripe_price() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let codes: Vec<String> = world.syspro.data().stock.keys().cloned().collect();
    assert_eq!(codes.len(), 4);

    let (runner, job, store) = runner(&project, ITEMS).await;
    let report = run_backfill(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(report.created, 8, "a product and a price each: {report:?}");
    let products = world.stripe.objects("product");
    let frame = of_item(&products, "A100");
    assert_eq!(frame.len(), 1);
    assert_eq!(frame[0]["name"], "Bicycle frame, alloy");
    let prices = world.stripe.objects("price");
    let price = of_item(&prices, "B100")[0];
    assert_eq!(
        (price["unit_amount"].as_i64(), price["currency"].as_str()),
        (Some(6550), Some("aud"))
    );
    assert_eq!(price["lookup_key"], "syspro-item-B100");

    let old = of_item(&prices, "A100")[0].clone();
    world.syspro.data().stock.get_mut("A100").unwrap().price = "475.00".into();
    let changed = run_backfill(&runner, &job).await;
    assert_eq!((changed.created, changed.updated), (0, 1), "{changed:?}");
    let prices = world.stripe.objects("price");
    let frame_prices = of_item(&prices, "A100");
    assert_eq!(frame_prices.len(), 2, "{frame_prices:#?}");
    let new = frame_prices.iter().find(|p| p["id"] != old["id"]).unwrap();
    assert_eq!(
        (new["unit_amount"].as_i64(), new["active"].as_bool()),
        (Some(47500), Some(true))
    );
    let old = frame_prices.iter().find(|p| p["id"] == old["id"]).unwrap();
    assert_eq!(old["active"], false);

    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stock_code_not_on_file_is_none_and_a_known_one_reads_whole() {
    use ferry::connectors::Client;
    use ferry::connectors::http::{HttpConfig, Secret};
    use ferry::connectors::syspro::{Logon, SysproClient};
    let world = world(None, None).await;
    let logon = Logon {
        operator: "ADMIN".into(),
        operator_password: Secret::new("sandbox-password"),
        company_id: "EDU1".into(),
        company_password: None,
    };
    let client = SysproClient::with_config(
        &format!("{}/syspro", world.base),
        logon,
        HttpConfig::default(),
    )
    .unwrap();
    assert!(client.get("items", "NOPE").await.unwrap().is_none());
    let item = client.get("items", "A200").await.unwrap().unwrap();
    assert_eq!(item.data["Description"], "Wheel set, 700c");
    assert_eq!(item.data["SellingPrice"].to_string(), "180.00");
    assert_eq!(item.data["QtyOnHand"].to_string(), "12.000");
}
