//! Stripe billing against the sandbox: a paid invoice becomes a Business Central sales invoice
//! with a line per Stripe line and a payment applied to it (and the charge that paid it is left
//! to this pipeline); a subscription's life shows on its customer's card. Running again writes
//! nothing.

use crate::run_support;

use run_support::*;
use serde_json::Value;

const INVOICES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_invoices_to_business_central.ferry"
);
const CHARGES_TO_INVOICES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central_invoices.ferry"
);
const SUBSCRIPTIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_subscriptions_to_business_central.ferry"
);

fn id(object: &Value) -> String {
    object["id"].as_str().unwrap().to_string()
}

fn decimal(value: &Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .unwrap()
}

async fn ada(world: &World) -> String {
    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=ada%40lovelace.example&name=Ada%20Lovelace",
        )
        .await;
    id(&customer)
}

#[tokio::test]
async fn a_paid_invoice_becomes_a_sales_invoice_with_its_lines_and_payment_once() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = ada(&world).await;
    let widget = world
        .stripe_post(
            "/v1/prices",
            "currency=aud&unit_amount=4500&product_data[name]=Widget",
        )
        .await;
    world
        .stripe_post(
            "/v1/invoiceitems",
            &format!(
                "customer={customer}&price={}&quantity=2&description=Widget",
                id(&widget)
            ),
        )
        .await;
    world
        .stripe_post(
            "/v1/invoiceitems",
            &format!("customer={customer}&amount=1250&currency=aud&description=Setup%20fee"),
        )
        .await;
    let invoice = world
        .stripe_post("/v1/invoices", &format!("customer={customer}"))
        .await;
    let invoice_id = id(&invoice);
    world
        .stripe_post(&format!("/v1/invoices/{invoice_id}/finalize"), "")
        .await;
    let paid = world
        .stripe_post(&format!("/v1/invoices/{invoice_id}/pay"), "")
        .await;
    let charge = paid["charge"].as_str().unwrap().to_string();

    let (runner, job, store) = runner(&project, INVOICES).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(report.created, 3, "{report:?}");

    let customers = world.business_central("customers").await;
    let ada: Vec<&Value> = customers
        .iter()
        .filter(|c| c["email"] == "ada@lovelace.example")
        .collect();
    assert_eq!(ada.len(), 1, "{ada:#?}");
    let invoices = world
        .business_central("salesInvoices?$expand=salesInvoiceLines")
        .await;
    let ours: Vec<&Value> = invoices
        .iter()
        .filter(|i| i["externalDocumentNumber"] == invoice_id.as_str())
        .collect();
    assert_eq!(ours.len(), 1, "{invoices:#?}");
    let sales_invoice = ours[0];
    assert_eq!(sales_invoice["customerNumber"], ada[0]["number"]);
    let lines: Vec<(String, f64, f64)> = sales_invoice["salesInvoiceLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_string(),
                decimal(&l["quantity"]),
                decimal(&l["unitPrice"]),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Widget".to_string(), 2.0, 45.0),
            ("Setup fee".to_string(), 1.0, 12.5)
        ]
    );
    // The payment was posted: a customer ledger entry that closed the sales invoice.
    let entries = world.business_central("customerLedgerEntries").await;
    let payment: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["externalDocumentNumber"] == charge.as_str() && e["documentType"] == "Payment"
        })
        .collect();
    assert_eq!(payment.len(), 1, "{entries:#?}");
    assert_eq!(decimal(&payment[0]["amount"]), -102.5);
    assert_eq!(sales_invoice["status"], "Paid", "{sales_invoice:#}");
    assert_eq!(decimal(&sales_invoice["remainingAmount"]), 0.0);

    // The charges pipeline leaves the invoice's charge alone: no second invoice for the sale.
    let (charges_runner, charges_job, charges_store) =
        run_support::runner(&project, CHARGES_TO_INVOICES).await;
    let charges_report = run(&charges_runner, &charges_job).await;
    assert_no_dead_letters(&charges_store).await;
    assert_eq!(
        (charges_report.created, charges_report.updated),
        (0, 0),
        "{charges_report:?}"
    );

    let again = run_backfill(&runner, &job).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 3),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_subscription_shows_on_its_customer_until_it_is_canceled() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = ada(&world).await;
    let price = |amount: i64| {
        format!(
            "currency=aud&unit_amount={amount}&recurring[interval]=month&product_data[name]=Plan{amount}"
        )
    };
    let basic = id(&world.stripe_post("/v1/prices", &price(2000)).await);
    let pro = id(&world.stripe_post("/v1/prices", &price(5000)).await);
    let subscription = world
        .stripe_post(
            "/v1/subscriptions",
            &format!("customer={customer}&items[0][price]={basic}"),
        )
        .await;
    let sub_id = id(&subscription);
    let link = format!("https://dashboard.stripe.com/subscriptions/{sub_id}");

    let (runner, job, store) = runner(&project, SUBSCRIPTIONS).await;
    let first = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(first.created, 1, "{first:?}");
    let card = |customers: Vec<Value>| {
        customers
            .into_iter()
            .filter(|c| c["email"] == "ada@lovelace.example")
            .collect::<Vec<Value>>()
    };
    let now = card(world.business_central("customers").await);
    assert_eq!(now.len(), 1, "{now:#?}");
    assert_eq!(now[0]["website"], link.as_str());
    assert_eq!(now[0]["blocked"], " ");

    let item = id(&subscription["items"]["data"][0]);
    world
        .stripe_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &format!("items[0][id]={item}&items[0][price]={pro}"),
        )
        .await;
    world
        .stripe_delete(&format!("/v1/subscriptions/{sub_id}"))
        .await;

    // A new run, as the next `ferry run` is: a runner reuses what it fetched for a minute.
    let (runner, job, store) = run_support::runner(&project, SUBSCRIPTIONS).await;
    let second = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    // The update reads the canceled subscription already; the deletion finds nothing to change.
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 1, 1),
        "{second:?}"
    );
    let now = card(world.business_central("customers").await);
    assert_eq!(now.len(), 1, "{now:#?}");
    assert_eq!(now[0]["website"], "");
    assert_eq!(now[0]["blocked"], " ");

    let again = run_backfill(&runner, &job).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 3),
        "{again:?}"
    );
}
