//! The Pronto flows end to end against the sandbox: what ends up in Stripe (and in Pronto)
//! after each story, read back from the emulators.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::run_support;
use ferry::sandbox::pronto::{ProntoConfig, ProntoState};

use run_support::*;

const DEBTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/pronto_debtors_to_stripe.ferry"
);
const PRODUCTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/pronto_products_to_stripe.ferry"
);
const ORDERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/pronto_orders_to_stripe.ferry"
);
const INVOICES_TO_PRONTO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_invoices_to_pronto.ferry"
);

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn decimal(value: &Value) -> Decimal {
    text_of(value).trim().parse().unwrap()
}

/// Runs every pipeline of `file` once, in order; their reports.
async fn run_file(project: &std::path::Path, file: &str) -> Vec<ferry::runtime::PipelineReport> {
    let (runner, jobs, _) = runners(project, file).await;
    let mut reports = Vec::new();
    for job in &jobs {
        reports.push(run(&runner, job).await);
    }
    reports
}

#[tokio::test]
async fn debtors_become_customers_matched_by_email_and_linked_both_ways() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let debtors = world.pronto.debtors();
    let with_email: Vec<&Value> = debtors
        .iter()
        .filter(|d| !text_of(&d["email"]).trim().is_empty())
        .collect();
    assert!(
        with_email.len() < debtors.len(),
        "the seed has a debtor without email"
    );
    // One debtor is a Stripe customer already: matched by email, not made twice.
    let known = text_of(&with_email[0]["email"]).to_lowercase();
    let existing = world
        .stripe_post(
            "/v1/customers",
            &format!("email={}&name=Known", known.replace('@', "%40")),
        )
        .await;

    let (runner, job, store) = runner(&project, DEBTORS).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(
        report.skipped as usize,
        debtors.len() - with_email.len(),
        "{report:?}"
    );
    let customers = world.stripe.objects("customer");
    assert_eq!(customers.len(), with_email.len(), "{customers:#?}");
    for debtor in &with_email {
        let code = text_of(&debtor["code"]);
        let matching: Vec<&Value> = customers
            .iter()
            .filter(|c| c["metadata"]["pronto_debtor_code"] == code.as_str())
            .collect();
        assert_eq!(matching.len(), 1, "{code}: {customers:#?}");
        let customer = matching[0];
        assert_eq!(
            customer["email"],
            text_of(&debtor["email"]).trim().to_lowercase().as_str()
        );
        assert_eq!(customer["name"], text_of(&debtor["name"]).trim());
        // Both ways: the store's link from the code and to it.
        let links = store
            .cross_reference_snapshot(&["stripe.customers"])
            .await
            .unwrap();
        use ferry::value::CrossReferences;
        let id = customer["id"].as_str().unwrap();
        assert_eq!(
            links.target_id("stripe.customers", &code).as_deref(),
            Some(id)
        );
        assert_eq!(
            links.target_id("stripe.customers", id).as_deref(),
            Some(code.as_str())
        );
    }
    assert!(customers.iter().any(|c| c["id"] == existing["id"]));

    let again = run(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");

    // A debtor renamed in Pronto is renamed in Stripe on the next poll.
    let mut renamed = with_email[1].clone();
    renamed["name"] = Value::from("Renamed Pty Ltd");
    world.pronto.upsert_debtor(renamed.clone()).unwrap();
    let changed = run(&runner, &job).await;
    assert_eq!((changed.created, changed.updated), (0, 1), "{changed:?}");
    let code = text_of(&renamed["code"]);
    let customer = world
        .stripe
        .objects("customer")
        .into_iter()
        .find(|c| c["metadata"]["pronto_debtor_code"] == code.as_str())
        .unwrap();
    assert_eq!(customer["name"], "Renamed Pty Ltd");
}

#[tokio::test]
async fn products_become_prices_in_cents_and_a_new_price_replaces_the_old() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let products = world.pronto.products();
    let reports = run_file(&project, PRODUCTS).await;
    assert!(reports.iter().all(|r| r.dead_lettered == 0), "{reports:?}");
    let stripe_products = world.stripe.objects("product");
    assert_eq!(stripe_products.len(), products.len());
    let prices = world.stripe.objects("price");
    for product in &products {
        let code = text_of(&product["code"]);
        let base = &product["prices"][0]["base_price"];
        let expected = (decimal(&base["inc_tax"]) * Decimal::from(100))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let price = prices
            .iter()
            .find(|p| p["metadata"]["pronto_item_code"] == code.as_str() && p["active"] == true)
            .unwrap_or_else(|| panic!("{code} has no active price: {prices:#?}"));
        assert_eq!(
            Decimal::from(price["unit_amount"].as_i64().unwrap()),
            expected,
            "{code}"
        );
        assert_eq!(price["tax_behavior"], "inclusive");
        assert_eq!(price["currency"], "aud");
    }

    let code = text_of(&products[0]["code"]);
    world
        .pronto
        .set_base_price(&code, "12.3450", "11.2227")
        .unwrap();
    run_file(&project, PRODUCTS).await;
    let prices = world.stripe.objects("price");
    let of_code: Vec<&Value> = prices
        .iter()
        .filter(|p| p["metadata"]["pronto_item_code"] == code.as_str())
        .collect();
    assert_eq!(
        of_code.len(),
        2,
        "{:#?}",
        prices
            .iter()
            .map(|p| (
                &p["id"],
                &p["lookup_key"],
                &p["active"],
                &p["unit_amount"],
                &p["metadata"]
            ))
            .collect::<Vec<_>>()
    );
    let active: Vec<&&Value> = of_code.iter().filter(|p| p["active"] == true).collect();
    assert_eq!(active.len(), 1, "{of_code:#?}");
    assert_eq!(active[0]["unit_amount"], 1235);
    assert_eq!(active[0]["lookup_key"], format!("pronto-{code}"));
    let old = of_code.iter().find(|p| p["active"] == false).unwrap();
    assert_eq!(old["lookup_key"], Value::Null);
    assert_eq!(old["product"], active[0]["product"]);

    let again = run_file(&project, PRODUCTS).await;
    assert!(
        again.iter().all(|r| r.created + r.updated == 0),
        "{again:?}"
    );
}

#[tokio::test]
async fn orders_become_draft_invoices_whose_totals_are_pronto_to_the_cent() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    run_file(&project, DEBTORS).await;
    let (runner, job, store) = runner(&project, ORDERS).await;
    let report = run(&runner, &job).await;
    let orders = world.pronto.orders();
    let letters = store
        .dead_letters(&ferry::store::DeadLetterFilter::default())
        .await
        .unwrap();
    let lettered: BTreeMap<String, String> = letters
        .iter()
        .map(|l| (l.source_id.clone(), l.error_message.clone()))
        .collect();
    let invoices = world.stripe.objects("invoice");
    let mut checked = 0;
    for order in &orders {
        let number = text_of(&order["pronto_order_number"]);
        let stock: Vec<&Value> = order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["type"] != "DN")
            .collect();
        let gst_wrong = stock.iter().any(|l| {
            let qty = decimal(&l["ordered_qty"]);
            let ex = (decimal(&l["price_ex_tax"]) * qty).round_dp(2);
            let inc = (decimal(&l["price_inc_tax"]) * qty).round_dp(2);
            (inc - ex - ex / Decimal::from(10)).abs() > Decimal::new(1, 2)
        });
        if gst_wrong {
            let message = lettered
                .get(&number)
                .unwrap_or_else(|| panic!("{number}: {lettered:#?}"));
            assert!(message.contains("GST is not 10%"), "{message}");
            assert!(
                !invoices
                    .iter()
                    .any(|i| i["metadata"]["pronto_order_number"] == number.as_str())
            );
            continue;
        }
        if let Some(message) = lettered.get(&number) {
            assert!(
                message.contains("is not in Stripe yet"),
                "{number}: {message}"
            );
            continue;
        }
        let invoice = invoices
            .iter()
            .find(|i| i["metadata"]["pronto_order_number"] == number.as_str())
            .unwrap_or_else(|| panic!("order {number} has no invoice"));
        let total: Decimal = stock
            .iter()
            .map(|l| (decimal(&l["price_inc_tax"]) * decimal(&l["ordered_qty"])).round_dp(2))
            .sum();
        assert_eq!(
            Decimal::from(invoice["total"].as_i64().unwrap()),
            total * Decimal::from(100),
            "order {number}: {invoice:#}"
        );
        assert_eq!(
            invoice["lines"]["data"].as_array().unwrap().len(),
            stock.len()
        );
        assert_eq!(invoice["status"], "draft");
        if let Some(reference) = order["customer_reference"]
            .as_str()
            .filter(|r| !r.is_empty())
        {
            assert_eq!(invoice["metadata"]["purchase_order"], reference);
        }
        checked += 1;
    }
    assert!(checked > 0, "{report:?}");
    assert!(
        lettered.values().any(|m| m.contains("GST is not 10%")),
        "{lettered:#?}"
    );

    let before = world.stripe.objects("invoiceitem").len();
    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert_eq!(world.stripe.objects("invoiceitem").len(), before);
}

#[tokio::test]
async fn a_paid_stripe_invoice_becomes_one_pronto_order_carrying_its_payment() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    run_file(&project, DEBTORS).await;
    run_file(&project, PRODUCTS).await;
    let customer = world
        .stripe
        .objects("customer")
        .into_iter()
        .find(|c| c["metadata"]["pronto_debtor_code"].is_string())
        .unwrap();
    let code = customer["metadata"]["pronto_debtor_code"].as_str().unwrap();
    let customer_id = customer["id"].as_str().unwrap();
    let prices: Vec<Value> = world
        .stripe
        .objects("price")
        .into_iter()
        .filter(|p| p["active"] == true)
        .take(2)
        .collect();
    for (price, quantity) in prices.iter().zip([2, 1]) {
        world
            .stripe_post(
                "/v1/invoiceitems",
                &format!(
                    "customer={customer_id}&price={}&quantity={quantity}",
                    price["id"].as_str().unwrap()
                ),
            )
            .await;
    }
    let invoice = world
        .stripe_post("/v1/invoices", &format!("customer={customer_id}"))
        .await;
    let id = invoice["id"].as_str().unwrap();
    world
        .stripe_post(&format!("/v1/invoices/{id}/finalize"), "")
        .await;
    let paid = world
        .stripe_post(&format!("/v1/invoices/{id}/pay"), "")
        .await;
    let orders_before = world.pronto.orders().len();

    let (runner, job, store) = runner(&project, INVOICES_TO_PRONTO).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    assert_eq!(report.created, 1, "{report:?}");
    let orders = world.pronto.orders();
    assert_eq!(orders.len(), orders_before + 1);
    let order = orders
        .iter()
        .find(|o| o["customer_reference"] == paid["number"])
        .unwrap_or_else(|| panic!("no order for {}: {orders:#?}", paid["number"]));
    assert_eq!(order["debtor"], code);
    assert_eq!(order["payment_reference"], paid["charge"]);
    assert_eq!(
        decimal(&order["payment_amount"]) * Decimal::from(100),
        Decimal::from(paid["amount_paid"].as_i64().unwrap())
    );
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{order:#}");
    for (line, (price, quantity)) in lines.iter().zip(prices.iter().zip([2, 1])) {
        assert_eq!(line["stock_code"], price["metadata"]["pronto_item_code"]);
        assert_eq!(decimal(&line["ordered_qty"]), Decimal::from(quantity));
        assert_eq!(
            decimal(&line["price_inc_tax"]) * Decimal::from(100),
            Decimal::from(price["unit_amount"].as_i64().unwrap())
        );
    }

    // Read again from the start: the order is found by its reference, not made twice.
    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert_eq!(world.pronto.orders().len(), orders_before + 1);
}

/// A world whose Pronto holds `debtors` debtors (seeded) and takes any number of calls.
async fn world_with_debtors(debtors: usize) -> World {
    let pronto = ProntoState::seeded(
        ProntoConfig {
            debtors,
            requests_per_minute: 0,
            ..ProntoConfig::default()
        },
        3,
    );
    world_from(empty_stripe(), |builder| builder.state(pronto)).await
}

/// The project with Pronto paged `per_page` at a time and Stripe written `stripe` a second.
fn paged_project(world: &World, per_page: u32, stripe: u32) -> std::path::PathBuf {
    let project = world.project(stripe);
    let text = std::fs::read_to_string(&project).unwrap().replace(
        "    password: pronto-sandbox-password\n",
        &format!("    password: pronto-sandbox-password\n    per_page: {per_page}\n"),
    );
    std::fs::write(&project, text).unwrap();
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_dry_run_then_a_killed_backfill_resumes_and_writes_each_debtor_once() {
    use crate::proof_support::{ferry, tail};
    let world = world_with_debtors(120).await;
    let project = paged_project(&world, 5, 25);
    let dir = world.dir.path();
    let project_arg = project.display().to_string();
    let debtors = world.pronto.debtors();
    let with_email = debtors
        .iter()
        .filter(|d| !text_of(&d["email"]).trim().is_empty())
        .count();
    let emails = debtors
        .iter()
        .map(|d| text_of(&d["email"]).trim().to_lowercase())
        .filter(|email| !email.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .len();

    let dry = run_ferry(
        dir,
        &[
            "run",
            DEBTORS,
            "--project",
            &project_arg,
            "--backfill",
            "--dry-run",
        ],
    )
    .await;
    let stdout = text(&dry.stdout);
    assert!(dry.status.success(), "{stdout}\n{}", text(&dry.stderr));
    assert!(
        stdout.contains(&format!("120 read, would create {with_email}")),
        "{stdout}"
    );
    assert!(world.stripe.objects("customer").is_empty());

    let log = dir.join("ferry.log");
    // Batches of 16 records or more (here 4 pages), so that a kill lands between two batches.
    let args = [
        "run",
        DEBTORS,
        "--project",
        &project_arg,
        "--backfill",
        "--concurrency",
        "1",
        "--page-size",
        "5",
    ];
    let mut child = ferry(dir, &args, &log);
    while world.stripe.objects("customer").len() < emails / 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backfill ended before it could be killed\n{}",
            tail(&log, 20)
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let calls_before = world.pronto.calls();
    let written_before = world.stripe.objects("customer").len();
    assert!(written_before < emails, "the kill landed after the end");

    let resumed = ferry(dir, &args, &log).wait().await.unwrap();
    assert!(resumed.success(), "{}", tail(&log, 30));
    // It went on from its last stored batch: fewer pages than a whole pass (120 / 5 = 24).
    let pages_after_the_kill = world.pronto.calls() - calls_before;
    assert!(
        pages_after_the_kill < 24,
        "{pages_after_the_kill} pages read after the kill"
    );
    let customers = world.stripe.objects("customer");
    let mut codes: Vec<&str> = customers
        .iter()
        .map(|c| c["metadata"]["pronto_debtor_code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    let before_dedup = codes.len();
    codes.dedup();
    assert_eq!(before_dedup, codes.len(), "a debtor was written twice");
    // Debtors that share an email are one customer: the first keeps it, the others are
    // dead-lettered as a match conflict (one target, one source).
    assert_eq!(codes.len(), emails);
}

#[tokio::test]
async fn a_malformed_pronto_answer_stops_the_run_naming_the_endpoint_and_moves_no_cursor() {
    use ferry::sandbox::pronto::Breakage;
    for (breakage, says) in [
        (Breakage::Html, "not the expected JSON"),
        (Breakage::TruncatedJson, "not the expected JSON"),
        (
            Breakage::ErrorInside200,
            "Something went wrong processing the request",
        ),
    ] {
        let world = world_seeded(None, None, Some(7)).await;
        let project = world.project(1000);
        let (runner, job, store) = runner(&project, DEBTORS).await;
        world.pronto.break_next(breakage);
        let error = runner
            .run(&job, &ferry::runtime::RunOptions::default(), &())
            .await
            .expect_err("a malformed page stops the run")
            .to_string();
        assert!(error.contains("debtor/v4"), "{breakage:?}: {error}");
        assert!(error.contains(says), "{breakage:?}: {error}");
        assert_eq!(
            store.cursor(&job.name, "pronto.debtors").await.unwrap(),
            None,
            "{breakage:?}"
        );
        assert!(world.stripe.objects("customer").is_empty());
        let report = run(&runner, &job).await;
        assert!(report.created > 0, "{breakage:?}: {report:?}");
    }
}
