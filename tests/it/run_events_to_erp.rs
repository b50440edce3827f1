//! Stripe events into Business Central: each `charge.succeeded` becomes one sales order for the
//! customer its cross reference names; a guest charge waits in the dead-letter queue.

use crate::run_support;

use ferry::store::{AuditFilter, DeadLetterFilter};
use run_support::*;

const CHARGES_TO_ORDERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central.ferry"
);

const CUSTOMERS_TO_BUSINESS_CENTRAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_customers_to_business_central.ferry"
);

/// The README's headline example, as a consultant runs it: the customers pipeline syncs the
/// Stripe customer to Business Central, and the charges pipeline finds its number through the
/// cross reference the first run stored (no cross reference is handed in).
#[tokio::test]
async fn charges_become_sales_orders_once_and_guest_charges_are_dead_lettered() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = world
        .stripe_post("/v1/customers", "email=ada%40example.com&name=Ada+Lovelace")
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    for amount in [1250, 990, 43000] {
        world
            .stripe_post(
                "/v1/sandbox/charges",
                &format!("amount={amount}&currency=aud&customer={customer_id}"),
            )
            .await;
    }
    world
        .stripe_post("/v1/sandbox/charges", "amount=500&currency=aud")
        .await;

    let (customers_runner, customers_job, _) =
        runner(&project, CUSTOMERS_TO_BUSINESS_CENTRAL).await;
    let synced = run(&customers_runner, &customers_job).await;
    assert_eq!(synced.created, 1, "{synced:?}");
    let bc_customers = world.business_central("customers").await;
    let number = bc_customers
        .iter()
        .find(|c| c["email"] == "ada@example.com")
        .map(|c| c["number"].clone())
        .expect("the customer reached Business Central");

    let (runner, job, store) = runner(&project, CHARGES_TO_ORDERS).await;
    let report = run(&runner, &job).await;
    assert_eq!((report.created, report.dead_lettered), (3, 1), "{report:?}");
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(
        letters[0].error_message.contains("guest charge"),
        "{}",
        letters[0].error_message
    );

    let orders = world.business_central_orders().await;
    assert_eq!(orders.len(), 3);
    assert!(
        orders.iter().all(|o| o["customerNumber"] == number),
        "{orders:#?}"
    );

    let quiet = run(&runner, &job).await;
    assert_eq!(
        (quiet.read, quiet.created, quiet.updated),
        (0, 0, 0),
        "{quiet:?}"
    );
    let again = run_backfill(&runner, &job).await;
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 3),
        "{again:?} {letters:#?}"
    );
    assert_eq!(world.business_central_orders().await.len(), 3);
    assert_eq!(
        store
            .audit_entries(&AuditFilter {
                pipeline: Some(job.name.clone()),
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .len(),
        3
    );
}
