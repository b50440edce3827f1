//! Payments in the Stripe emulator through the documented calls: `POST /v1/charges`,
//! `POST /v1/payment_intents` and its confirm, `POST /v1/refunds`. Each test reads the results
//! back: the charge, the refund list, the events feed, the balance transactions, and what a
//! webhook endpoint received.

use crate::sandbox_stripe_support;

use ferry::project::Secret;
use ferry::sandbox::stripe::{StripeOptions, WebhookEndpoint};
use sandbox_stripe_support::{Stripe, WebhookReceiver, err, ok, quiet, send, start};
use serde_json::{Value, json};

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

/// The types of the newest `n` events, newest first.
async fn newest_events(s: &Stripe, n: usize) -> Vec<Value> {
    let page = ok(s.get(&format!("/v1/events?limit={n}"))).await;
    page["data"].as_array().unwrap().clone()
}

/// An error object's `code` and `param` ("" when it has none).
fn code_and_param(e: &Value) -> (&str, &str) {
    let text = |field: &str| e[field].as_str().unwrap_or("");
    (text("code"), text("param"))
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn charge(s: &Stripe, body: &str) -> Value {
    ok(s.post("/v1/charges", body)).await
}

#[tokio::test]
async fn a_card_charge_succeeds_with_its_fee_and_its_event() {
    let s = start(quiet()).await;
    let c = charge(
        &s,
        "amount=2000&currency=aud&source=tok_visa&description=Order+A-1&metadata[order]=A-1",
    )
    .await;
    assert!(id(&c).starts_with("ch_"));
    assert_eq!(
        (
            &c["status"],
            &c["paid"],
            &c["captured"],
            &c["amount_captured"]
        ),
        (
            &json!("succeeded"),
            &json!(true),
            &json!(true),
            &json!(2000)
        )
    );
    assert_eq!(
        c["payment_intent"],
        Value::Null,
        "a direct charge has no intent"
    );
    assert!(c["payment_method"].as_str().unwrap().starts_with("card_"));
    assert_eq!(
        (&c["description"], &c["metadata"]),
        (&json!("Order A-1"), &json!({"order": "A-1"}))
    );
    assert_eq!(ok(s.get(&format!("/v1/charges/{}", id(&c)))).await, c);

    let txn = ok(s.get(&format!(
        "/v1/balance_transactions/{}",
        c["balance_transaction"].as_str().unwrap()
    )))
    .await;
    // 1.75% + 30: 35 + 30.
    assert_eq!(
        (
            &txn["amount"],
            &txn["fee"],
            &txn["net"],
            &txn["type"],
            &txn["source"]
        ),
        (
            &json!(2000),
            &json!(65),
            &json!(1935),
            &json!("charge"),
            &c["id"]
        )
    );

    let events = newest_events(&s, 10).await;
    assert_eq!(kinds(&events), ["charge.succeeded"]);
    assert_eq!(events[0]["data"]["object"], c);

    let uncaptured = charge(&s, "amount=900&currency=aud&source=tok_visa&capture=false").await;
    assert_eq!(
        (
            &uncaptured["captured"],
            &uncaptured["amount_captured"],
            &uncaptured["balance_transaction"]
        ),
        (&json!(false), &json!(0), &Value::Null)
    );
}

#[tokio::test]
async fn charges_are_checked_as_stripe_checks_them() {
    let s = start(quiet()).await;
    let e = err(
        s.post(
            "/v1/charges",
            "amount=500&currency=usd&source=tok_visa&amout=5",
        ),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["param"], &e["message"]),
        (
            &json!("parameter_unknown"),
            &json!("amout"),
            &json!("Received unknown parameter: amout")
        )
    );
    let e = err(s.post("/v1/charges", "currency=usd&source=tok_visa"), 400).await;
    assert_eq!(code_and_param(&e), ("parameter_missing", "amount"));
    let e = err(s.post("/v1/charges", "amount=500&source=tok_visa"), 400).await;
    assert_eq!(code_and_param(&e), ("parameter_missing", "currency"));
    let e = err(
        s.post("/v1/charges", "amount=5.00&currency=usd&source=tok_visa"),
        400,
    )
    .await;
    assert_eq!(e["code"], "parameter_invalid_integer");
    let e = err(
        s.post("/v1/charges", "amount=49&currency=usd&source=tok_visa"),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["message"]),
        (
            &json!("amount_too_small"),
            &json!("Amount must be at least $0.50 usd")
        )
    );
    let e = err(
        s.post("/v1/charges", "amount=49&currency=jpy&source=tok_visa"),
        400,
    )
    .await;
    assert_eq!(e["message"], "Amount must be at least ¥50 jpy");
    charge(&s, "amount=50&currency=jpy&source=tok_visa").await;
    let e = err(
        s.post("/v1/charges", "amount=1255&currency=kwd&source=tok_visa"),
        400,
    )
    .await;
    assert_eq!(code_and_param(&e), ("invalid_charge_amount", "amount"));
    charge(&s, "amount=1250&currency=kwd&source=tok_visa").await;
    let e = err(
        s.post("/v1/charges", "amount=500&currency=xyz&source=tok_visa"),
        400,
    )
    .await;
    assert_eq!(e["param"], "currency");

    let e = err(
        s.post(
            "/v1/charges",
            "amount=500&currency=usd&customer=cus_missing&source=tok_visa",
        ),
        404,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["param"], &e["message"]),
        (
            &json!("resource_missing"),
            &json!("customer"),
            &json!("No such customer: 'cus_missing'")
        )
    );
    let e = err(
        s.post("/v1/charges", "amount=500&currency=usd&source=tok_nope"),
        404,
    )
    .await;
    assert_eq!(code_and_param(&e), ("resource_missing", "source"));
    let customer = ok(s.post("/v1/customers", "name=Ann")).await;
    let e = err(
        s.post(
            "/v1/charges",
            &format!("amount=500&currency=usd&customer={}", id(&customer)),
        ),
        402,
    )
    .await;
    assert_eq!(
        e["message"],
        "Cannot charge a customer that has no active card"
    );
    assert_eq!(
        ok(s.get("/v1/charges")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let e = err(
        s.post(
            "/v1/charges",
            "amount=500&currency=usd&source=tok_chargeDeclined",
        ),
        402,
    )
    .await;
    assert_eq!(
        (&e["type"], &e["code"], &e["message"]),
        (
            &json!("card_error"),
            &json!("card_declined"),
            &json!("Your card was declined.")
        )
    );
    let failed = &ok(s.get("/v1/charges?limit=1")).await["data"][0];
    assert_eq!(
        (
            &failed["status"],
            &failed["failure_code"],
            &failed["balance_transaction"]
        ),
        (&json!("failed"), &json!("card_declined"), &Value::Null)
    );
    assert_eq!(newest_events(&s, 1).await[0]["type"], "charge.failed");
}

#[tokio::test]
async fn a_partial_refund_then_the_rest_then_no_more() {
    let s = start(quiet()).await;
    let c = charge(&s, "amount=10000&currency=aud&source=tok_visa").await;
    let path = format!("/v1/charges/{}", id(&c));

    let first = ok(s.post(
        "/v1/refunds",
        &format!(
            "charge={}&amount=2500&reason=requested_by_customer&metadata[rma]=R-1",
            id(&c)
        ),
    ))
    .await;
    assert!(id(&first).starts_with("re_"));
    assert_eq!(
        (
            &first["object"],
            &first["amount"],
            &first["status"],
            &first["charge"]
        ),
        (
            &json!("refund"),
            &json!(2500),
            &json!("succeeded"),
            &c["id"]
        )
    );
    assert_eq!(
        (&first["reason"], &first["metadata"], &first["currency"]),
        (
            &json!("requested_by_customer"),
            &json!({"rma": "R-1"}),
            &json!("aud")
        )
    );
    let after_first = ok(s.get(&path)).await;
    assert_eq!(
        (&after_first["amount_refunded"], &after_first["refunded"]),
        (&json!(2500), &json!(false))
    );
    assert_eq!(after_first["refunds"]["total_count"], 1);
    assert_eq!(after_first["refunds"]["data"][0], first);
    let events = newest_events(&s, 2).await;
    assert_eq!(kinds(&events), ["refund.created", "charge.refunded"]);
    assert_eq!(events[0]["data"]["object"], first);
    assert_eq!(events[1]["data"]["object"], after_first);
    let previous = &events[1]["data"]["previous_attributes"];
    assert_eq!(previous["amount_refunded"], 0);
    assert_eq!(previous["refunds"]["total_count"], 0);
    assert!(
        previous.get("refunded").is_none(),
        "refunded did not change: {previous}"
    );

    let e = err(
        s.post("/v1/refunds", &format!("charge={}&amount=8000", id(&c))),
        400,
    )
    .await;
    assert_eq!(
        e,
        json!({
            "message": "Refund amount ($80.00) is greater than unrefunded amount on charge ($75.00)",
            "param": "amount",
            "type": "invalid_request_error",
        })
    );

    let rest = ok(s.post("/v1/refunds", &format!("charge={}", id(&c)))).await;
    assert_eq!(rest["amount"], 7500, "the rest by default");
    let refunded = ok(s.get(&path)).await;
    assert_eq!(
        (&refunded["amount_refunded"], &refunded["refunded"]),
        (&json!(10000), &json!(true))
    );
    let previous = &newest_events(&s, 2).await[1]["data"]["previous_attributes"];
    assert_eq!(
        (&previous["amount_refunded"], &previous["refunded"]),
        (&json!(2500), &json!(false))
    );

    let e = err(
        s.post("/v1/refunds", &format!("charge={}&amount=1", id(&c))),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["message"]),
        (
            &json!("charge_already_refunded"),
            &json!(format!("Charge {} has already been refunded.", id(&c)))
        )
    );

    let listed = ok(s.get(&format!("/v1/refunds?charge={}", id(&c)))).await;
    assert_eq!(listed["url"], "/v1/refunds");
    let amounts: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["amount"])
        .collect();
    assert_eq!(amounts, [&json!(7500), &json!(2500)], "newest first");
    assert_eq!(
        ok(s.get(&format!("/v1/refunds/{}", id(&first)))).await,
        first
    );
    let other = charge(&s, "amount=700&currency=aud&source=tok_visa").await;
    ok(s.post("/v1/refunds", &format!("charge={}", id(&other)))).await;
    assert_eq!(
        ok(s.get("/v1/refunds")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ok(s.get(&format!("/v1/refunds?charge={}", id(&c)))).await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let txns = ok(s.get(&format!("/v1/balance_transactions?source={}", id(&first)))).await;
    assert_eq!(
        txns["data"][0],
        ok(s.get(&format!(
            "/v1/balance_transactions/{}",
            first["balance_transaction"].as_str().unwrap()
        )))
        .await
    );
    let t = &txns["data"][0];
    assert_eq!(
        (
            &t["amount"],
            &t["fee"],
            &t["net"],
            &t["type"],
            &t["reporting_category"]
        ),
        (
            &json!(-2500),
            &json!(0),
            &json!(-2500),
            &json!("refund"),
            &json!("refund")
        )
    );

    let e = err(s.post("/v1/refunds", "amount=5"), 400).await;
    assert_eq!(e["code"], "parameter_missing");
    let e = err(s.post("/v1/refunds", "charge=ch_missing"), 404).await;
    assert_eq!(code_and_param(&e), ("resource_missing", "charge"));
    let e = err(
        s.post(
            "/v1/refunds",
            &format!("charge={}&reason=changed_mind", id(&other)),
        ),
        400,
    )
    .await;
    assert_eq!(e["param"], "reason");
}

#[tokio::test]
async fn a_payment_intent_created_then_confirmed_makes_its_charge() {
    let s = start(quiet()).await;
    let customer = ok(s.post("/v1/customers", "name=Ann")).await;
    let created = ok(s.post(
        "/v1/payment_intents",
        &format!(
            "amount=5000&currency=aud&customer={}&payment_method_types[]=card&metadata[order]=O-9",
            id(&customer)
        ),
    ))
    .await;
    let pi = id(&created).to_string();
    assert!(pi.starts_with("pi_"));
    assert_eq!(
        (
            &created["status"],
            &created["latest_charge"],
            &created["amount_received"]
        ),
        (&json!("requires_payment_method"), &Value::Null, &json!(0))
    );
    let confirm = format!("/v1/payment_intents/{pi}/confirm");
    let e = err(s.post(&confirm, ""), 400).await;
    assert_eq!(e["code"], "payment_intent_unexpected_state");

    let confirmed = ok(s.post(&confirm, "payment_method=pm_card_visa")).await;
    assert_eq!(
        (&confirmed["status"], &confirmed["amount_received"]),
        (&json!("succeeded"), &json!(5000))
    );
    let latest = confirmed["latest_charge"].as_str().unwrap();
    assert_eq!(confirmed["charges"]["data"][0]["id"], latest);
    assert_eq!(
        ok(s.get(&format!("/v1/payment_intents/{pi}"))).await,
        confirmed
    );
    let c = ok(s.get(&format!("/v1/charges/{latest}"))).await;
    assert_eq!(
        (
            &c["payment_intent"],
            &c["customer"],
            &c["amount"],
            &c["metadata"]
        ),
        (
            &json!(pi),
            &customer["id"],
            &json!(5000),
            &json!({"order": "O-9"})
        )
    );
    assert_eq!(c["payment_method"], confirmed["payment_method"]);
    assert_eq!(
        kinds(&newest_events(&s, 4).await),
        [
            "payment_intent.succeeded",
            "charge.succeeded",
            "payment_intent.created",
            "customer.created"
        ]
    );
    let listed = ok(s.get(&format!("/v1/payment_intents?customer={}", id(&customer)))).await;
    assert_eq!(listed["data"], json!([confirmed]));
    let by_intent = ok(s.get(&format!("/v1/charges?payment_intent={pi}"))).await;
    assert_eq!(by_intent["data"], json!([c]));

    let e = err(s.post(&confirm, "payment_method=pm_card_visa"), 400).await;
    assert_eq!(e["code"], "payment_intent_unexpected_state");

    let refund = ok(s.post("/v1/refunds", &format!("payment_intent={pi}&amount=1000"))).await;
    assert_eq!(
        (&refund["charge"], &refund["payment_intent"]),
        (&json!(latest), &json!(pi))
    );
    assert_eq!(
        ok(s.get(&format!("/v1/charges/{latest}"))).await["amount_refunded"],
        1000
    );
}

#[tokio::test]
async fn a_payment_intent_confirms_at_once_declines_and_is_strict() {
    let s = start(quiet()).await;
    let at_once = ok(s.post(
        "/v1/payment_intents",
        "amount=1500&currency=usd&automatic_payment_methods[enabled]=true&payment_method=pm_card_visa&confirm=true",
    ))
    .await;
    assert_eq!(at_once["status"], "succeeded");
    assert_eq!(
        at_once["automatic_payment_methods"],
        json!({"enabled": true})
    );

    let e = err(
        s.post(
            "/v1/payment_intents",
            "amount=1500&currency=usd&automatic_payment_methods[enabled]=true&payment_method_types[]=card",
        ),
        400,
    )
    .await;
    assert_eq!(e["code"], "parameters_exclusive");
    let e = err(s.post("/v1/payment_intents", "currency=usd"), 400).await;
    assert_eq!(code_and_param(&e), ("parameter_missing", "amount"));
    let e = err(
        s.post("/v1/payment_intents", "amount=1500&currency=usd&colour=red"),
        400,
    )
    .await;
    assert_eq!(e["code"], "parameter_unknown");
    let e = err(s.post("/v1/payment_intents", "amount=10&currency=usd"), 400).await;
    assert_eq!(e["code"], "amount_too_small");
    let e = err(s.post("/v1/payment_intents/pi_missing/confirm", ""), 404).await;
    assert_eq!(e["code"], "resource_missing");

    let declined = ok(s.post("/v1/payment_intents", "amount=1500&currency=usd")).await;
    let e = err(
        s.post(
            &format!("/v1/payment_intents/{}/confirm", id(&declined)),
            "payment_method=pm_card_chargeDeclined",
        ),
        402,
    )
    .await;
    assert_eq!(e["code"], "card_declined");
    let after = ok(s.get(&format!("/v1/payment_intents/{}", id(&declined)))).await;
    assert_eq!(
        (&after["status"], &after["last_payment_error"]["code"]),
        (&json!("requires_payment_method"), &json!("card_declined"))
    );
    let failed = ok(s.get(&format!(
        "/v1/charges/{}",
        after["latest_charge"].as_str().unwrap()
    )))
    .await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        kinds(&newest_events(&s, 2).await),
        ["payment_intent.payment_failed", "charge.failed"]
    );
}

#[tokio::test]
async fn an_idempotent_refund_is_made_once() {
    let s = start(quiet()).await;
    let c = charge(&s, "amount=3000&currency=aud&source=tok_visa").await;
    let body = format!("charge={}&amount=1000", id(&c));
    let first = s
        .post("/v1/refunds", &body)
        .header("idempotency-key", "refund-1")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let again = s
        .post("/v1/refunds", &body)
        .header("idempotency-key", "refund-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let after = ok(s.get(&format!("/v1/charges/{}", id(&c)))).await;
    assert_eq!(after["amount_refunded"], 1000);
    assert_eq!(
        ok(s.get("/v1/refunds")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let event = &newest_events(&s, 1).await[0];
    assert_eq!(event["request"]["idempotency_key"], "refund-1");

    let (status, _) = send(
        s.post("/v1/refunds", &format!("charge={}&amount=999", id(&c)))
            .header("idempotency-key", "refund-1"),
    )
    .await;
    assert_eq!(status, 400, "same key, other parameters");
}

#[tokio::test]
async fn a_webhook_endpoint_receives_the_payment_events() {
    let hook = WebhookReceiver::start().await;
    let s = start(StripeOptions {
        webhooks: vec![WebhookEndpoint::new(
            &hook.url,
            Secret::new("whsec_payments"),
        )],
        ..quiet()
    })
    .await;
    let c = charge(&s, "amount=2000&currency=aud&source=tok_visa").await;
    ok(s.post("/v1/refunds", &format!("charge={}&amount=500", id(&c)))).await;
    assert_eq!(
        hook.event_types(3).await,
        ["charge.refunded", "charge.succeeded", "refund.created"]
    );
}
