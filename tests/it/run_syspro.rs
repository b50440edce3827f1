//! Syspro end to end against the emulator on a loopback port: sessions, the customers flow in
//! both directions, Stripe charges imported as sales orders exactly once, a refused order
//! dead-lettered and replayed after the fix, and wrong credentials.

use crate::run_support;

use std::path::Path;

use ferry::connectors::http::{HttpConfig, Secret};
use ferry::connectors::syspro::{Logon, SysproClient};
use ferry::connectors::{Client, ConnectorError, MatchKey};
use run_support::*;
use serde_json::json;

pub(crate) const CUSTOMERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/syspro_customers_and_stripe.ferry"
);
pub(crate) const CHARGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_syspro.ferry"
);

/// `ferry run PIPELINE --backfill` that must succeed; its summary.
async fn run_pipeline(dir: &Path, pipeline: &str) -> String {
    let run = run_ferry(dir, &["run", pipeline, "--backfill"]).await;
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    stdout
}

fn client(world: &World, password: &str) -> SysproClient {
    let logon = Logon {
        operator: "ADMIN".into(),
        operator_password: Secret::new(password),
        company_id: "EDU1".into(),
        company_password: None,
    };
    SysproClient::with_config(
        &format!("{}/syspro", world.base),
        logon,
        HttpConfig::default(),
    )
    .unwrap()
}

fn key(path: &str, value: &str) -> Vec<MatchKey> {
    vec![MatchKey {
        path: path.into(),
        value: json!(value),
    }]
}

#[tokio::test(flavor = "multi_thread")]
async fn one_logon_serves_many_calls_and_an_expired_session_is_renewed() {
    let world = world_seeded(None, None, Some(4)).await;
    let client = client(&world, "sandbox-password");
    let first = client.find("customers", &key("Customer", "0000101")).await;
    let customer = first.unwrap().expect("seeded customer 0000101");
    assert_eq!(customer.id, "0000101");
    assert!(client.get("customers", "NOPE").await.unwrap().is_none());
    assert_eq!(
        world.syspro.data().sessions.len(),
        1,
        "one logon for both calls"
    );
    let attempts = client.http().stats().attempts;
    assert_eq!(attempts, 3, "a logon and two finds");

    world.syspro.expire_sessions();
    let again = client.get("customers", "0000102").await.unwrap();
    assert_eq!(again.unwrap().data["Customer"], json!("0000102"));
    // The refused call, a new logon, the call again.
    assert_eq!(client.http().stats().attempts, attempts + 3);
    assert_eq!(world.syspro.data().sessions.len(), 1);

    client.logoff().await.unwrap();
    assert!(world.syspro.data().sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_are_named_without_the_password() {
    let world = world(None, None).await;
    let password = "wr0ng-Pa55word-canary";
    let error = client(&world, password)
        .find("customers", &key("Customer", "0000101"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("operator `ADMIN` could not log on to company `EDU1`")
            && message.contains("Invalid operator 'ADMIN' or password"),
        "{message}"
    );
    assert!(!message.contains(password), "{message}");
    assert!(!format!("{error:?}").contains(password));
    assert!(matches!(error, ConnectorError::Api { status: 401, .. }));
    assert!(world.syspro.data().sessions.is_empty());

    // Through the runner: the run stops with the reason, and the password is nowhere.
    let project = world.project(1000);
    let yaml = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        yaml.replace(
            "operator_password: sandbox-password",
            &format!("operator_password: {password}"),
        ),
    )
    .unwrap();
    let dir = project.parent().unwrap();
    world
        .stripe_post("/v1/customers", "email=kath%40example.com&name=Katherine")
        .await;
    let run = run_ferry(dir, &["run", CUSTOMERS, "--backfill"]).await;
    let all = format!("{}{}", text(&run.stdout), text(&run.stderr));
    assert!(!run.status.success(), "{all}");
    assert!(all.contains("could not log on"), "{all}");
    assert!(!all.contains(password), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_charge_becomes_exactly_one_sales_order() {
    let world = world_seeded(None, None, Some(4)).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=ada%40example.com&name=Ada%20Lovelace",
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    let charges = world.sandbox_charges(&[12550], Some(customer_id)).await;

    // Seeded Syspro customers go to Stripe; Stripe's customers (those too) come back.
    let summary = run_pipeline(dir, CUSTOMERS).await;
    assert!(
        world.syspro.data().sessions.is_empty(),
        "the run logged its session off"
    );
    assert!(
        summary.contains("syspro_customers_to_stripe: 12 read, 12 created"),
        "{summary}"
    );
    assert!(
        summary.contains("stripe_customers_to_syspro: 13 read, 1 created, 12 updated"),
        "{summary}"
    );
    let code = {
        let data = world.syspro.data();
        let made = data
            .customers
            .values()
            .find(|c| c.get("StripeCustomerId") == customer_id)
            .expect("the Stripe customer is in Syspro");
        assert_eq!(made.get("Name"), "Ada Lovelace");
        assert!(
            data.customers
                .values()
                .all(|c| !c.get("StripeCustomerId").is_empty())
        );
        made.get("Customer").to_string()
    };

    let summary = run_pipeline(dir, CHARGES).await;
    // The order, and the payment applied to the invoice it became.
    assert!(summary.contains("1 read, 2 created"), "{summary}");
    {
        let data = world.syspro.data();
        assert_eq!(data.orders.len(), 1);
        let order = data.orders.values().next().unwrap();
        assert_eq!(order.get("CustomerPoNumber"), charges[0]);
        assert_eq!(order.get("Customer"), code);
        assert_eq!(order.get("Currency"), "AUD");
        assert_eq!(order.lines.len(), 1);
        assert_eq!(order.lines[0].element, "MiscChargeLine");
        assert_eq!(order.lines[0].fields["MiscChargeValue"], "125.50");
        assert_eq!(order.lines[0].fields["MiscDescription"], "STRIPE-SALE");
        assert_paid_once(&data, &charges[0], &code);
    }

    // Again from the start: found by its cross reference and unchanged.
    let summary = run_pipeline(dir, CHARGES).await;
    assert!(
        summary.contains("1 read, 0 created, 0 updated, 2 unchanged"),
        "{summary}"
    );
    let summary = run_pipeline(dir, CUSTOMERS).await;
    assert!(summary.contains("0 created, 0 updated"), "{summary}");
    assert!(
        !summary.contains(" 1 created") && !summary.contains(" 1 updated"),
        "{summary}"
    );
    assert_eq!(world.syspro.data().orders.len(), 1);

    // With the store lost, the order is matched on its CustomerPoNumber.
    std::fs::remove_file(dir.join("state.db")).unwrap();
    run_pipeline(dir, CUSTOMERS).await;
    let summary = run_pipeline(dir, CHARGES).await;
    // The payment too, by its Reference: posted once, whatever the store remembers.
    assert!(
        summary.contains("0 created, 0 updated, 2 unchanged"),
        "{summary}"
    );
    assert_eq!(world.syspro.data().orders.len(), 1);
    assert_paid_once(&world.syspro.data(), &charges[0], &code);
}

/// The order of `charge` became one invoice of `customer` for 125.50, and one payment of 125.50
/// (the charge's reference, Stripe as "other") left nothing open on it.
fn assert_paid_once(data: &ferry::sandbox::syspro::SysproData, charge: &str, customer: &str) {
    let order = data
        .orders
        .values()
        .find(|o| o.get("CustomerPoNumber") == charge)
        .unwrap();
    assert_eq!(order.get("OrderStatus"), "9", "invoiced, complete");
    let invoices: Vec<_> = data
        .invoices
        .values()
        .filter(|i| i.get("SalesOrder") == order.get("SalesOrder"))
        .collect();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let invoice = invoices[0];
    assert_eq!(
        (invoice.get("Customer"), invoice.get("DocumentType")),
        (customer, "I")
    );
    assert_eq!(invoice.get("InvoiceValue"), "125.50");
    assert_eq!(invoice.get("InvoiceBal1"), "0.00", "nothing left open");
    let payments: Vec<_> = data
        .payments
        .iter()
        .filter(|p| p["Reference"] == charge)
        .collect();
    assert_eq!(payments.len(), 1, "posted once: {payments:?}");
    assert_eq!(payments[0]["Invoice"], invoice.get("Invoice"));
    assert_eq!(payments[0]["PaymentValue"], "125.50");
    assert_eq!(payments[0]["PaymentType"], "O");
    assert_eq!(data.customers[customer].get("CurrentBalance"), "0.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_order_is_dead_lettered_and_replayed_after_the_fix() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let customer = world
        .stripe_post("/v1/customers", "email=grace%40example.com&name=Grace")
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    // The customer is set up in AUD; this charge is in US dollars.
    world
        .stripe_post(
            "/v1/sandbox/charges",
            &format!("amount=990&currency=usd&customer={customer_id}"),
        )
        .await;
    run_pipeline(dir, CUSTOMERS).await;

    let run = run_ferry(dir, &["run", CHARGES, "--backfill"]).await;
    assert!(
        text(&run.stdout)
            .contains("0 created, 0 updated, 0 unchanged, 0 filtered, 0 skipped, 1 dead-lettered"),
        "{}",
        text(&run.stdout)
    );
    assert!(world.syspro.data().orders.is_empty());
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letter: serde_json::Value = serde_json::from_str(text(&list.stdout).trim()).unwrap();
    assert_eq!(letter["pipeline"], "stripe_charges_to_syspro");
    assert_eq!(letter["error_code"], "syspro_error");
    let reason = letter["error_message"].as_str().unwrap();
    assert!(
        reason.contains("SORTOI (Transaction/Post)")
            && reason.contains("Currency 'USD' does not match the currency 'AUD'"),
        "{reason}"
    );

    // The fix is made in Syspro: the customer now trades in US dollars.
    {
        let mut data = world.syspro.data();
        let customer = data
            .customers
            .values_mut()
            .find(|c| c.get("StripeCustomerId") == customer_id)
            .unwrap();
        customer.fields.insert("Currency".into(), "USD".into());
    }
    let id = letter["id"].to_string();
    let replay = run_ferry(dir, &["dlq", "replay", &id, "--from", CHARGES]).await;
    assert!(
        replay.status.success(),
        "{}{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
    assert!(
        text(&replay.stdout).contains("1 resolved"),
        "{}",
        text(&replay.stdout)
    );
    let data = world.syspro.data();
    assert_eq!(data.orders.len(), 1);
    let order = data.orders.values().next().unwrap();
    assert_eq!(order.get("Currency"), "USD");
    assert_eq!(order.lines[0].fields["MiscChargeValue"], "9.90");
}

/// A backfill of more pages than one reads each customer once and ends: the runner starts it
/// without a cursor, and every later page follows the one before (it used to read the first page
/// again and again once there were more customers than a page holds).
#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_of_several_pages_reads_each_customer_once_and_ends() {
    let world = world_seeded(None, None, Some(4)).await;
    let client = client(&world, "sandbox-password");
    let options = ferry::connectors::PollOptions {
        backfill: true,
        page_size: 5,
        ..Default::default()
    };
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let page = client
            .poll("customers", cursor.as_deref(), &options)
            .await
            .unwrap();
        seen.extend(page.records.iter().map(|r| r.id.clone()));
        if !page.more {
            break;
        }
        cursor = page.cursor;
    }
    let customers = world.syspro.data().customers.len();
    assert!(
        customers > 5,
        "more customers ({customers}) than a page holds"
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (customers, customers),
        "{seen:?}"
    );
}

/// A customer Stripe holds no currency for is set up in Syspro in the currency of their
/// country, so their charges in it become orders; a later change of country moves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_customer_trades_in_the_currency_of_their_country_and_keeps_it() {
    let world = world(None, None).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=kiri%40example.co.nz&name=Kiri&address[line1]=1%20Queen%20Street&address[country]=NZ",
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap();
    world
        .stripe_post(
            "/v1/sandbox/charges",
            &format!("amount=4200&currency=nzd&customer={customer_id}"),
        )
        .await;
    run_pipeline(dir, CUSTOMERS).await;
    let summary = run_pipeline(dir, CHARGES).await;
    assert!(summary.contains("1 read, 2 created"), "{summary}");
    {
        let data = world.syspro.data();
        let synced = data
            .customers
            .values()
            .find(|c| c.get("StripeCustomerId") == customer_id)
            .expect("the Stripe customer in Syspro");
        assert_eq!(synced.get("Currency"), "NZD");
        let order = data.orders.values().next().expect("one sales order");
        assert_eq!(order.get("Currency"), "NZD");
        assert_eq!(order.lines[0].fields["MiscChargeValue"], "42.00");
    }

    // The charge comes round again (a rerun replays every event): still one order.
    let again = run_pipeline(dir, CHARGES).await;
    assert!(
        again.contains("0 created, 0 updated, 2 unchanged"),
        "{again}"
    );
    assert_eq!(world.syspro.data().orders.len(), 1);

    // They move to London: the address follows, the currency of their account does not.
    world
        .stripe_post(
            &format!("/v1/customers/{customer_id}"),
            "address[line1]=1%20Strand&address[country]=GB",
        )
        .await;
    let summary = run_pipeline(dir, CUSTOMERS).await;
    assert!(
        summary.contains("stripe_customers_to_syspro: 2 read, 0 created, 1 updated, 1 unchanged, 0 filtered, 0 skipped, 0 dead-lettered"),
        "{summary}"
    );
    let data = world.syspro.data();
    let synced = data
        .customers
        .values()
        .find(|c| c.get("StripeCustomerId") == customer_id)
        .unwrap();
    assert_eq!(synced.get("SoldToAddr1"), "1 Strand");
    assert_eq!(synced.get("Currency"), "NZD");
}
