//! Field ownership end to end: the customer pipeline owns a Business Central customer's details,
//! and a charge that touches the customer changes none of them. Charges in NZD, JPY and GBP leave
//! the customer in the currency it was created in.

use crate::run_support;

use ferry::store::{AuditFilter, DeadLetterFilter, Operation};
use run_support::*;
use serde_json::Value;

fn pipeline(name: &str) -> String {
    format!("{}/pipelines/{name}.ferry", env!("CARGO_MANIFEST_DIR"))
}

async fn bc_customer(world: &World, email: &str) -> Value {
    world
        .business_central("customers")
        .await
        .into_iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("no Business Central customer {email}"))
}

#[tokio::test]
async fn charges_in_other_currencies_change_no_customer() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    // Ada is synced by the customer pipeline before she pays; Grace first appears with a charge.
    let ada = world
        .stripe_post(
            "/v1/customers",
            "email=ada%40lovelace.example&name=Ada+Lovelace",
        )
        .await;
    let (customers, customers_job, store) =
        runner(&project, &pipeline("stripe_customers_to_business_central")).await;
    assert_eq!(run(&customers, &customers_job).await.created, 1);
    let before = bc_customer(&world, "ada@lovelace.example").await;

    let grace = world
        .stripe_post("/v1/customers", "email=grace%40hopper.example&name=Grace")
        .await;
    for (customer, currency, amount) in [
        (&grace, "nzd", 4500),
        (&ada, "nzd", 12550),
        (&ada, "jpy", 9800),
        (&ada, "gbp", 2000),
        (&grace, "gbp", 1500),
    ] {
        let id = customer["id"].as_str().unwrap();
        world
            .stripe_post(
                "/v1/sandbox/charges",
                &format!("amount={amount}&currency={currency}&customer={id}"),
            )
            .await;
    }
    let (charges, charges_job, _) = runner(
        &project,
        &pipeline("stripe_charges_to_business_central_invoices"),
    )
    .await;
    let report = run(&charges, &charges_job).await;
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(letters.is_empty(), "{letters:#?}");
    assert_eq!(report.read, 5, "{report:?}");

    // Ada is as the customer pipeline left her; the charges wrote nothing to her card.
    let after = bc_customer(&world, "ada@lovelace.example").await;
    for field in ["displayName", "currencyCode", "phoneNumber"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    let customer_updates = store
        .audit_entries(&AuditFilter {
            pipeline: Some(charges_job.name.clone()),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target == "business_central.customers" && e.operation == Operation::Update)
        .count();
    assert_eq!(customer_updates, 0);
    // Grace was created by her first charge, in its currency, and stays in it.
    assert_eq!(
        bc_customer(&world, "grace@hopper.example").await["currencyCode"],
        "NZD"
    );

    let invoices = world.business_central("salesInvoices").await;
    let mut currencies: Vec<&str> = invoices
        .iter()
        .filter_map(|i| i["currencyCode"].as_str())
        .collect();
    currencies.sort();
    assert_eq!(currencies, ["GBP", "GBP", "JPY", "NZD", "NZD"]);

    // The customer pipeline again (Stripe now knows Ada's currency) changes nothing either.
    let again = run_backfill(&customers, &customers_job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
}
