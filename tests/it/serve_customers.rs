//! `customer.created` / `customer.updated` sent by the Stripe emulator's webhooks become a
//! Business Central customer, created once and then updated, cross-referenced both ways.

use crate::run_support;

use std::time::Duration;

use ferry::project::Secret;
use ferry::sandbox::stripe::WebhookEndpoint;
use ferry::store::{AuditFilter, Operation};
use run_support::serve::*;
use run_support::*;
use serde_json::Value;

const CUSTOMERS_TO_BC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

/// The Business Central customer with this email, through the emulator's API.
async fn bc_customer(world: &World, email: &str) -> Option<Value> {
    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!("{}/oauth/sandbox-tenant/oauth2/v2.0/token", world.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=ferry-sandbox-client&client_secret=ferry-sandbox-secret&scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{}/business_central/v2.0/sandbox-tenant/sandbox/api/v2.0/companies(00000000-0000-0000-0000-000000000001)/customers?$filter=email eq '{email}'",
        world.base
    );
    let page: Value = client
        .get(url)
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["value"].as_array().unwrap().first().cloned()
}

async fn eventually_customer(world: &World, email: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        if let Some(customer) = bc_customer(world, email).await
            && check(&customer)
        {
            return customer;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no Business Central customer {email} as expected");
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_customers_become_and_stay_business_central_customers() {
    let world = world_seeded(None, None, Some(7)).await;
    let (handle, store) = serve_pipelines(&world, 2, &[CUSTOMERS_TO_BC]).await;
    world.stripe.add_webhook_endpoint(WebhookEndpoint::new(
        format!("http://{}/webhooks/stripe/stripe", handle.local_addr),
        Secret::new(WEBHOOK_SECRET),
    ));
    let created = stripe(
        &world,
        reqwest::Method::POST,
        "/v1/customers",
        "email=grace%40example.com&name=Grace%20Hopper&address[city]=Sydney&address[country]=AU",
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let customer = eventually_customer(&world, "grace@example.com", |c| {
        c["displayName"] == "Grace Hopper"
    })
    .await;
    assert_eq!(customer["city"], "Sydney");

    stripe(
        &world,
        reqwest::Method::POST,
        &format!("/v1/customers/{id}"),
        "name=Grace%20B.%20Hopper",
    )
    .await;
    let updated = eventually_customer(&world, "grace@example.com", |c| {
        c["displayName"] == "Grace B. Hopper"
    })
    .await;
    assert_eq!(
        updated["id"], customer["id"],
        "updated in place, not created again"
    );

    inbox_drained(&store).await;
    let link = store
        .target_id("business_central.customers", id)
        .await
        .unwrap();
    assert_eq!(link.as_deref(), customer["id"].as_str());
    let audit = store.audit_entries(&AuditFilter::default()).await.unwrap();
    let operations: Vec<Operation> = audit.iter().map(|e| e.operation).collect();
    assert_eq!(operations, [Operation::Create, Operation::Update]);
    assert_eq!(audit[1].fields_changed, ["displayName"]);
    handle.shutdown().await;
}
