//! Invoices and subscriptions in the Stripe emulator: pending invoice items become an invoice's
//! lines, a draft is finalized and then paid with a charge, a subscription bills its first
//! period at once; every step records Stripe's events, in order, and queues them for webhooks.

use crate::sandbox_stripe_support;

use ferry::project::Secret;
use ferry::sandbox::stripe::WebhookEndpoint;
use sandbox_stripe_support::{Stripe, err, ok, quiet, start};
use serde_json::{Value, json};

fn id(object: &Value) -> String {
    object["id"].as_str().unwrap().to_string()
}

/// Event types recorded so far, oldest first.
fn event_types(s: &Stripe) -> Vec<String> {
    let mut types: Vec<String> = s
        .state
        .objects("event")
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

async fn customer(s: &Stripe) -> String {
    let c = ok(s.post(
        "/v1/customers",
        "name=Ada%20Lovelace&email=ada@lovelace.example",
    ))
    .await;
    id(&c)
}

async fn recurring_price(s: &Stripe, amount: i64) -> String {
    let price = ok(s.post(
        "/v1/prices",
        &format!(
            "currency=aud&unit_amount={amount}&recurring[interval]=month&product_data[name]=Pro"
        ),
    ))
    .await;
    id(&price)
}

#[tokio::test]
async fn invoice_items_become_lines_of_a_draft_that_is_finalized_then_paid() {
    let s = start(quiet()).await;
    s.state.add_webhook_endpoint(WebhookEndpoint::new(
        "http://127.0.0.1:9/hooks",
        Secret::new("whsec_test"),
    ));
    let cus = customer(&s).await;
    let price = ok(s.post(
        "/v1/prices",
        "currency=aud&unit_amount=4500&product_data[name]=Widget",
    ))
    .await;
    let first = ok(s.post(
        "/v1/invoiceitems",
        &format!("customer={cus}&price={}&quantity=2", id(&price)),
    ))
    .await;
    assert_eq!(
        (
            &first["object"],
            &first["amount"],
            &first["currency"],
            &first["invoice"]
        ),
        (
            &json!("invoiceitem"),
            &json!(9000),
            &json!("aud"),
            &Value::Null
        )
    );
    ok(s.post(
        "/v1/invoiceitems",
        &format!("customer={cus}&amount=1250&currency=aud&description=Setup%20fee"),
    ))
    .await;

    let draft = ok(s.post(
        "/v1/invoices",
        &format!("customer={cus}&description=November&metadata[order]=42"),
    ))
    .await;
    let inv = id(&draft);
    assert!(inv.starts_with("in_"), "{inv}");
    assert_eq!(
        (
            &draft["status"],
            &draft["total"],
            &draft["amount_due"],
            &draft["paid"]
        ),
        (&json!("draft"), &json!(10250), &json!(10250), &json!(false))
    );
    assert_eq!(
        (&draft["number"], &draft["description"], &draft["metadata"]),
        (&Value::Null, &json!("November"), &json!({"order": "42"}))
    );
    assert_eq!(draft["customer_email"], "ada@lovelace.example");
    let lines = draft["lines"]["data"].as_array().unwrap();
    let shape: Vec<(&str, i64, i64, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["object"].as_str().unwrap(),
                l["amount"].as_i64().unwrap(),
                l["quantity"].as_i64().unwrap(),
                l["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("line_item", 9000, 2, "invoiceitem"),
            ("line_item", 1250, 1, "invoiceitem")
        ]
    );
    assert_eq!(lines[0]["invoice_item"], first["id"]);
    assert_eq!(lines[0]["price"]["id"], price["id"]);
    assert_eq!(lines[1]["description"], "Setup fee");
    assert_eq!(draft["lines"]["url"], format!("/v1/invoices/{inv}/lines"));

    // Nothing is pending any more.
    let none = err(s.post("/v1/invoices", &format!("customer={cus}")), 400).await;
    assert_eq!(none["code"], "invoice_no_customer_line_items");

    // A draft cannot be paid.
    let e = err(s.post(&format!("/v1/invoices/{inv}/pay"), ""), 400).await;
    assert_eq!(
        (&e["type"], &e["param"]),
        (&json!("invalid_request_error"), &json!("invoice"))
    );
    assert!(e["message"].as_str().unwrap().contains("finalize"), "{e}");

    let open = ok(s.post(&format!("/v1/invoices/{inv}/finalize"), "")).await;
    assert_eq!(open["status"], "open");
    let number = open["number"].as_str().unwrap();
    assert!(number.ends_with("-0001"), "{number}");
    let again = err(s.post(&format!("/v1/invoices/{inv}/finalize"), ""), 400).await;
    assert_eq!(again["code"], "invoice_not_editable");

    let paid = ok(s.post(&format!("/v1/invoices/{inv}/pay"), "expand[]=charge")).await;
    assert_eq!(
        (
            &paid["status"],
            &paid["paid"],
            &paid["amount_paid"],
            &paid["amount_remaining"]
        ),
        (&json!("paid"), &json!(true), &json!(10250), &json!(0))
    );
    let charge = &paid["charge"];
    assert_eq!(
        (
            &charge["object"],
            &charge["amount"],
            &charge["invoice"],
            &charge["status"]
        ),
        (
            &json!("charge"),
            &json!(10250),
            &json!(inv),
            &json!("succeeded")
        )
    );
    assert_eq!(
        ok(s.get(&format!("/v1/invoices/{inv}"))).await["status"],
        "paid"
    );
    let paid_again = err(s.post(&format!("/v1/invoices/{inv}/pay"), ""), 400).await;
    assert_eq!(paid_again["code"], "invoice_already_paid");

    let listed = ok(s.get(&format!("/v1/invoices?customer={cus}&status=paid"))).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    // Money received outside Stripe: paid without a charge.
    ok(s.post(
        "/v1/invoiceitems",
        &format!("customer={cus}&amount=300&currency=aud"),
    ))
    .await;
    let cash = id(&ok(s.post("/v1/invoices", &format!("customer={cus}"))).await);
    ok(s.post(&format!("/v1/invoices/{cash}/finalize"), "")).await;
    let cash_paid = ok(s.post(&format!("/v1/invoices/{cash}/pay"), "paid_out_of_band=true")).await;
    assert_eq!(
        (
            &cash_paid["status"],
            &cash_paid["paid_out_of_band"],
            &cash_paid["charge"],
            &cash_paid["amount_paid"]
        ),
        (&json!("paid"), &json!(true), &Value::Null, &json!(300))
    );
    let drafts = ok(s.get("/v1/invoices?status=draft")).await;
    assert_eq!(drafts["data"], json!([]));

    let billing: Vec<String> = event_types(&s)
        .into_iter()
        .filter(|t| !t.starts_with("customer.") && !t.starts_with("pr"))
        .collect();
    assert_eq!(
        billing,
        [
            "invoiceitem.created",
            "invoiceitem.created",
            "invoice.created",
            "invoice.finalized",
            "charge.succeeded",
            "invoice.paid",
            "invoice.payment_succeeded",
            "invoiceitem.created",
            "invoice.created",
            "invoice.finalized",
            "invoice.paid",
        ]
    );
    let events = s.state.objects("event");
    let paid_event = events
        .iter()
        .rev()
        .find(|e| e["type"] == "invoice.paid")
        .unwrap();
    assert_eq!(
        paid_event["data"]["object"]["lines"]["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(paid_event["data"]["object"]["status"], "paid");
    // Every event after the endpoint was added is queued for it.
    assert_eq!(s.state.webhook_stats().queued, events.len() as u64);
}

#[tokio::test]
async fn unknown_and_missing_parameters_are_refused_like_stripe() {
    let s = start(quiet()).await;
    let cus = customer(&s).await;
    let e = err(
        s.post("/v1/invoices", &format!("customer={cus}&colour=red")),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["param"]),
        (&json!("parameter_unknown"), &json!("colour"))
    );
    let e = err(s.post("/v1/invoiceitems", "amount=5&currency=aud"), 400).await;
    assert_eq!(
        (&e["code"], &e["param"]),
        (&json!("parameter_missing"), &json!("customer"))
    );
    let e = err(
        s.post(
            "/v1/subscriptions",
            &format!("customer={cus}&items[0][plan_x]=1"),
        ),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["param"]),
        (&json!("parameter_unknown"), &json!("items[0][plan_x]"))
    );
    let e = err(s.post("/v1/invoices/in_nope/pay", ""), 404).await;
    assert_eq!(e["code"], "resource_missing");
    let one_time = ok(s.post(
        "/v1/prices",
        "currency=aud&unit_amount=100&product_data[name]=Once",
    ))
    .await;
    let e = err(
        s.post(
            "/v1/subscriptions",
            &format!("customer={cus}&items[0][price]={}", id(&one_time)),
        ),
        400,
    )
    .await;
    assert_eq!(e["param"], "items[0][price]");
}

#[tokio::test]
async fn a_subscription_is_billed_updated_and_canceled_with_its_events() {
    let s = start(quiet()).await;
    let cus = customer(&s).await;
    let basic = recurring_price(&s, 2000).await;
    let pro = recurring_price(&s, 5000).await;
    let sub = ok(s.post(
        "/v1/subscriptions",
        &format!("customer={cus}&items[0][price]={basic}&metadata[plan]=basic"),
    ))
    .await;
    let sub_id = id(&sub);
    assert!(sub_id.starts_with("sub_"), "{sub_id}");
    assert_eq!(
        (
            &sub["object"],
            &sub["status"],
            &sub["customer"],
            &sub["cancel_at_period_end"]
        ),
        (
            &json!("subscription"),
            &json!("active"),
            &json!(cus),
            &json!(false)
        )
    );
    let item = &sub["items"]["data"][0];
    assert_eq!(
        (&item["object"], &item["price"]["id"], &item["quantity"]),
        (&json!("subscription_item"), &json!(basic), &json!(1))
    );
    assert_eq!(
        sub["current_period_end"].as_i64().unwrap() - sub["current_period_start"].as_i64().unwrap(),
        30 * 86_400
    );
    let invoice = ok(s.get(&format!(
        "/v1/invoices/{}",
        sub["latest_invoice"].as_str().unwrap()
    )))
    .await;
    assert_eq!(
        (
            &invoice["status"],
            &invoice["amount_paid"],
            &invoice["billing_reason"],
            &invoice["subscription"]
        ),
        (
            &json!("paid"),
            &json!(2000),
            &json!("subscription_create"),
            &json!(sub_id)
        )
    );
    assert_eq!(invoice["lines"]["data"][0]["type"], "subscription");
    assert_eq!(
        invoice["lines"]["data"][0]["description"],
        "1 × Pro (at $20.00 / month)"
    );
    let by_sub = ok(s.get(&format!("/v1/invoices?subscription={sub_id}"))).await;
    assert_eq!(by_sub["data"].as_array().unwrap().len(), 1);

    let updated = ok(s.post(
        &format!("/v1/subscriptions/{sub_id}"),
        &format!(
            "items[0][id]={}&items[0][price]={pro}&cancel_at_period_end=true&metadata[plan]=pro",
            id(item)
        ),
    ))
    .await;
    assert_eq!(updated["items"]["data"][0]["price"]["id"], pro);
    assert_eq!(updated["cancel_at"], updated["current_period_end"]);
    let canceled = ok(s.delete(&format!("/v1/subscriptions/{sub_id}"))).await;
    assert_eq!(canceled["status"], "canceled");
    assert!(canceled["ended_at"].is_i64());
    assert_eq!(
        ok(s.get(&format!("/v1/subscriptions/{sub_id}"))).await["status"],
        "canceled"
    );
    assert_eq!(ok(s.get("/v1/subscriptions")).await["data"], json!([]));
    let all = ok(s.get("/v1/subscriptions?status=all")).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);

    let types: Vec<String> = event_types(&s)
        .into_iter()
        .filter(|t| t.starts_with("customer.subscription") || t.starts_with("invoice."))
        .collect();
    assert_eq!(
        types,
        [
            "customer.subscription.created",
            "invoice.created",
            "invoice.finalized",
            "invoice.paid",
            "invoice.payment_succeeded",
            "customer.subscription.updated",
            "customer.subscription.deleted",
        ]
    );
    let events = s.state.objects("event");
    let update = events
        .iter()
        .find(|e| e["type"] == "customer.subscription.updated")
        .unwrap();
    let previous = &update["data"]["previous_attributes"];
    assert_eq!(previous["cancel_at_period_end"], false);
    assert_eq!(previous["metadata"], json!({"plan": "basic"}));
    assert_eq!(previous["items"]["data"][0]["price"]["id"], basic);
}

/// A draft is editable whole and can be deleted with its lines; once finalized, its money and
/// how it is collected are fixed, and neither it nor its lines can be deleted. Each change has
/// its event.
#[tokio::test]
async fn a_draft_is_edited_or_deleted_and_a_finalized_invoice_keeps_its_money() {
    let s = start(quiet()).await;
    let cus = customer(&s).await;
    let draft = |description: &str| {
        s.post(
            "/v1/invoices",
            &format!(
                "customer={cus}&collection_method=send_invoice&days_until_due=30\
                 &pending_invoice_items_behavior=exclude&description={description}"
            ),
        )
    };
    let first = id(&ok(draft("First")).await);
    let line = |invoice: &str, amount: i64| {
        s.post(
            "/v1/invoiceitems",
            &format!("customer={cus}&invoice={invoice}&currency=aud&amount={amount}"),
        )
    };
    let kept = id(&ok(line(&first, 1500)).await);
    let dropped = id(&ok(line(&first, 250)).await);

    let edited = ok(s.post(
        &format!("/v1/invoices/{first}"),
        "description=Order%20177001&metadata[purchase_order]=PO-1&days_until_due=14",
    ))
    .await;
    assert_eq!(edited["description"], "Order 177001");
    assert_eq!(edited["metadata"]["purchase_order"], "PO-1");
    assert_eq!(
        edited["due_date"].as_i64(),
        Some(edited["created"].as_i64().unwrap() + 14 * 86_400)
    );
    let gone = ok(s.delete(&format!("/v1/invoiceitems/{dropped}"))).await;
    assert_eq!(gone["deleted"], true);
    let invoice = ok(s.get(&format!("/v1/invoices/{first}"))).await;
    assert_eq!(
        (
            invoice["total"].as_i64(),
            invoice["lines"]["total_count"].as_i64()
        ),
        (Some(1500), Some(1))
    );
    let e = err(s.post(&format!("/v1/invoices/{first}"), "colour=red"), 400).await;
    assert_eq!(e["code"], "parameter_unknown");

    ok(s.post(&format!("/v1/invoices/{first}/finalize"), "")).await;
    let e = err(
        s.post(&format!("/v1/invoices/{first}"), "days_until_due=7"),
        400,
    )
    .await;
    assert_eq!(e["code"], "invoice_not_editable");
    let memo = ok(s.post(&format!("/v1/invoices/{first}"), "metadata[note]=called")).await;
    assert_eq!(memo["metadata"]["note"], "called");
    let e = err(s.delete(&format!("/v1/invoices/{first}")), 400).await;
    assert_eq!(e["code"], "invoice_not_editable");
    let e = err(s.delete(&format!("/v1/invoiceitems/{kept}")), 400).await;
    assert_eq!(e["code"], "invoice_not_editable");

    let second = id(&ok(draft("Second")).await);
    let its_line = id(&ok(line(&second, 900)).await);
    ok(s.delete(&format!("/v1/invoices/{second}"))).await;
    // Its line went with it; both read back as deleted.
    for path in [
        format!("invoiceitems/{its_line}"),
        format!("invoices/{second}"),
    ] {
        let deleted = ok(s.get(&format!("/v1/{path}"))).await;
        assert_eq!(deleted["deleted"], true, "{path}");
    }
    let types = event_types(&s);
    for expected in ["invoice.updated", "invoiceitem.deleted", "invoice.deleted"] {
        assert!(types.iter().any(|t| t == expected), "{expected}: {types:?}");
    }
}
