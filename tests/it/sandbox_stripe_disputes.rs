//! Disputes in the Stripe emulator, made the documented way: a charge paid with the disputing
//! test card (`tok_createDispute`, `pm_card_createDispute`) is disputed as fraudulent; closing
//! the dispute loses it, evidence `winning_evidence` wins it and `losing_evidence` loses it.
//! Each test reads the results back: the dispute, the charge, the balance transactions, the
//! events feed, a payout and what a webhook endpoint received.

use crate::sandbox_stripe_support;

use ferry::check::Type;
use ferry::connectors::schemas;
use ferry::connectors::stripe::StripeClient;
use ferry::project::Secret;
use ferry::sandbox::stripe::{StripeOptions, WebhookEndpoint};
use sandbox_stripe_support::{KEY, Stripe, WebhookReceiver, err, ok, quiet, start};
use serde_json::{Value, json};

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

/// The types of the newest `n` events, oldest first.
async fn latest_event_types(s: &Stripe, n: usize) -> Vec<String> {
    let page = ok(s.get(&format!("/v1/events?limit={n}"))).await;
    let mut types: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

/// The one dispute of `charge`, read back from `GET /v1/disputes?charge=`.
async fn dispute_of(s: &Stripe, charge: &Value) -> Value {
    let page = ok(s.get(&format!("/v1/disputes?charge={}", id(charge)))).await;
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{page}");
    data[0].clone()
}

async fn disputed_charge(s: &Stripe, amount: i64, currency: &str) -> Value {
    ok(s.post(
        "/v1/charges",
        &format!("amount={amount}&currency={currency}&source=tok_createDispute"),
    ))
    .await
}

/// Asserts that `value` has exactly the fields of Stripe's OpenAPI description of its type,
/// through nested objects and lists (maps such as metadata and `any` fields are not compared).
fn has_the_spec_shape(value: &Value, ty: &Type, path: &str) {
    match (ty.non_null(), value) {
        (Type::Object(object), Value::Object(fields)) if !object.fields.is_empty() => {
            let mut want: Vec<&str> = object.fields.keys().map(String::as_str).collect();
            let mut have: Vec<&str> = fields.keys().map(String::as_str).collect();
            want.sort();
            have.sort();
            assert_eq!(have, want, "the fields of {path}");
            for (name, field) in &object.fields {
                has_the_spec_shape(&fields[name.as_str()], &field.ty, &format!("{path}.{name}"));
            }
        }
        (Type::List(item), Value::Array(items)) => {
            for (i, one) in items.iter().enumerate() {
                has_the_spec_shape(one, item, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

fn dispute_type() -> &'static Type {
    &schemas()
        .sources
        .get("stripe.disputes")
        .expect("stripe.disputes")
        .record
}

#[tokio::test]
async fn the_disputing_card_pays_then_is_disputed_with_the_fee_withdrawn() {
    let s = start(quiet()).await;
    let charge = disputed_charge(&s, 5000, "usd").await;
    assert_eq!(
        (&charge["status"], &charge["disputed"]),
        (&json!("succeeded"), &json!(false)),
        "the answer is the charge as it succeeded, before the cardholder disputed it"
    );
    let stored = ok(s.get(&format!("/v1/charges/{}", id(&charge)))).await;
    assert_eq!(stored["disputed"], true);

    let dispute = dispute_of(&s, &charge).await;
    assert!(id(&dispute).starts_with("dp_"), "{dispute}");
    assert_eq!(
        ok(s.get(&format!("/v1/disputes/{}", id(&dispute)))).await,
        dispute
    );
    let created = dispute["created"].as_i64().unwrap();
    let mut fields = dispute.clone();
    let withdrawal = fields["balance_transactions"][0].take();
    fields["balance_transactions"] = json!([]);
    fields["evidence"] = json!({});
    assert_eq!(
        fields,
        json!({
            "id": id(&dispute),
            "object": "dispute",
            "amount": 5000,
            "balance_transactions": [],
            "charge": id(&charge),
            "created": created,
            "currency": "usd",
            "evidence": {},
            "evidence_details": {
                "due_by": created + 14 * 86_400,
                "has_evidence": false,
                "past_due": false,
                "submission_count": 0,
            },
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": {},
            "payment_intent": null,
            "reason": "fraudulent",
            "status": "needs_response",
        })
    );
    let evidence = dispute["evidence"].as_object().unwrap();
    assert_eq!(evidence.len(), 27);
    assert!(evidence.values().all(Value::is_null));
    assert_eq!(dispute["balance_transactions"].as_array().unwrap().len(), 1);

    let txn = id(&withdrawal);
    assert_eq!(
        withdrawal,
        json!({
            "id": txn,
            "object": "balance_transaction",
            "amount": -5000,
            "available_on": created,
            "created": created,
            "currency": "usd",
            "description": format!("Chargeback withdrawal for {}", id(&charge)),
            "exchange_rate": null,
            "fee": 1500,
            "fee_details": [{"amount": 1500, "application": null, "currency": "usd",
                             "description": "Dispute fee", "type": "stripe_fee"}],
            "net": -6500,
            "reporting_category": "dispute",
            "source": id(&dispute),
            "status": "available",
            "type": "adjustment",
        })
    );
    assert_eq!(
        ok(s.get(&format!("/v1/balance_transactions/{txn}"))).await,
        withdrawal
    );

    assert_eq!(
        latest_event_types(&s, 10).await,
        [
            "charge.succeeded",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn"
        ]
    );
    let events = ok(s.get("/v1/events?limit=2")).await;
    for event in events["data"].as_array().unwrap() {
        assert_eq!(event["data"]["object"], dispute);
    }
    has_the_spec_shape(&dispute, dispute_type(), "dispute");

    // An authorization only takes no money, so nothing can be charged back.
    ok(s.post(
        "/v1/charges",
        "amount=900&currency=usd&source=tok_createDispute&capture=false",
    ))
    .await;
    assert_eq!(s.state.count("dispute"), 1);
}

#[tokio::test]
async fn a_payment_intent_is_disputed_after_its_own_events() {
    let s = start(quiet()).await;
    let intent = ok(s.post(
        "/v1/payment_intents",
        "amount=8000&currency=aud&confirm=true&payment_method=pm_card_createDispute",
    ))
    .await;
    assert_eq!(intent["status"], "succeeded");
    let charge = ok(s.get(&format!(
        "/v1/charges/{}",
        intent["latest_charge"].as_str().unwrap()
    )))
    .await;
    assert_eq!(charge["disputed"], true);
    let page = ok(s.get(&format!("/v1/disputes?payment_intent={}", id(&intent)))).await;
    let dispute = &page["data"][0];
    assert_eq!(
        (
            &dispute["payment_intent"],
            &dispute["charge"],
            &dispute["amount"]
        ),
        (&intent["id"], &charge["id"], &json!(8000))
    );
    // A$25.00, Stripe's dispute fee in Australia.
    let withdrawal = &dispute["balance_transactions"][0];
    assert_eq!(
        (
            &withdrawal["amount"],
            &withdrawal["fee"],
            &withdrawal["net"]
        ),
        (&json!(-8000), &json!(2500), &json!(-10500))
    );
    assert_eq!(
        latest_event_types(&s, 10).await,
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.succeeded",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn"
        ]
    );
    let none = ok(s.get("/v1/disputes?charge=ch_other")).await;
    assert_eq!(none["data"], json!([]));
}

#[tokio::test]
async fn closing_a_dispute_loses_it_and_a_closed_dispute_takes_no_more() {
    let s = start(quiet()).await;
    let charge = disputed_charge(&s, 5000, "usd").await;
    let dispute = dispute_of(&s, &charge).await;
    let path = format!("/v1/disputes/{}", id(&dispute));

    let closed = ok(s.post(&format!("{path}/close"), "")).await;
    assert_eq!(closed["status"], "lost");
    assert_eq!(ok(s.get(&path)).await, closed);
    assert_eq!(
        closed["balance_transactions"], dispute["balance_transactions"],
        "a lost dispute keeps the funds withdrawn, no more and no less"
    );
    let event = &ok(s.get("/v1/events?limit=1")).await["data"][0];
    assert_eq!(event["type"], "charge.dispute.closed");
    assert_eq!(event["data"]["object"], closed);
    assert_eq!(
        event["data"]["previous_attributes"],
        json!({"status": "needs_response"})
    );

    let e = err(s.post(&format!("{path}/close"), ""), 400).await;
    assert_eq!(e["type"], "invalid_request_error");
    assert!(
        e["message"].as_str().unwrap().contains("already closed"),
        "{e}"
    );
    let e = err(
        s.post(
            &path,
            "evidence[uncategorized_text]=winning_evidence&submit=true",
        ),
        400,
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("already closed"),
        "{e}"
    );
    let e = err(
        s.post("/v1/refunds", &format!("charge={}", id(&charge))),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["type"]),
        (&json!("charge_disputed"), &json!("invalid_request_error"))
    );
    // Metadata stays the merchant's to change.
    let noted = ok(s.post(&path, "metadata[case]=C-7")).await;
    assert_eq!(
        (&noted["metadata"], &noted["status"]),
        (&json!({"case": "C-7"}), &json!("lost"))
    );
    let txns = ok(s.get("/v1/balance_transactions?limit=100")).await;
    assert_eq!(
        txns["data"].as_array().unwrap().len(),
        2,
        "the charge and the withdrawal"
    );
}

#[tokio::test]
async fn winning_evidence_wins_and_gives_back_the_funds_and_the_fee() {
    let s = start(quiet()).await;
    let charge = disputed_charge(&s, 5000, "usd").await;
    let dispute = dispute_of(&s, &charge).await;
    let path = format!("/v1/disputes/{}", id(&dispute));

    let won = ok(s.post(
        &path,
        "evidence[uncategorized_text]=winning_evidence&evidence[customer_name]=Ann+Lee&submit=true",
    ))
    .await;
    assert_eq!(won["status"], "won");
    assert_eq!(ok(s.get(&path)).await, won);
    assert_eq!(
        (
            &won["evidence"]["uncategorized_text"],
            &won["evidence"]["customer_name"],
            &won["evidence_details"]["has_evidence"],
            &won["evidence_details"]["submission_count"],
        ),
        (
            &json!("winning_evidence"),
            &json!("Ann Lee"),
            &json!(true),
            &json!(1)
        )
    );
    let movements = won["balance_transactions"].as_array().unwrap();
    assert_eq!(movements.len(), 2);
    assert_eq!(movements[0], dispute["balance_transactions"][0]);
    let reinstatement = &movements[1];
    assert_eq!(
        (
            &reinstatement["type"],
            &reinstatement["reporting_category"],
            &reinstatement["amount"],
            &reinstatement["fee"],
            &reinstatement["net"],
            &reinstatement["source"],
        ),
        (
            &json!("adjustment"),
            &json!("dispute_reversal"),
            &json!(5000),
            &json!(-1500),
            &json!(6500),
            &dispute["id"],
        )
    );
    assert_eq!(
        reinstatement["fee_details"],
        json!([{"amount": -1500, "application": null, "currency": "usd",
                "description": "Dispute fee", "type": "stripe_fee"}])
    );
    assert_eq!(
        ok(s.get(&format!("/v1/balance_transactions/{}", id(reinstatement)))).await,
        *reinstatement
    );
    let net: i64 = movements.iter().map(|t| t["net"].as_i64().unwrap()).sum();
    assert_eq!(net, 0, "a won dispute costs nothing");

    assert_eq!(
        latest_event_types(&s, 3).await,
        [
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated"
        ]
    );
    let events = ok(s.get("/v1/events?limit=3")).await;
    let updated = &events["data"][2];
    assert_eq!(updated["data"]["object"]["status"], "under_review");
    assert_eq!(
        updated["data"]["previous_attributes"]["status"],
        "needs_response"
    );
    assert_eq!(events["data"][0]["data"]["object"], won);
    assert_eq!(events["data"][1]["data"]["object"], won);
    has_the_spec_shape(&won, dispute_type(), "dispute");

    let e = err(s.post(&path, "evidence[uncategorized_text]=more"), 400).await;
    assert!(
        e["message"].as_str().unwrap().contains("already closed"),
        "{e}"
    );
}

#[tokio::test]
async fn losing_evidence_loses_and_other_evidence_waits_under_review() {
    let s = start(quiet()).await;
    let lost = dispute_of(&s, &disputed_charge(&s, 2000, "eur").await).await;
    let path = format!("/v1/disputes/{}", id(&lost));
    // Evidence sent without `submit` is submitted: Stripe's default.
    let lost = ok(s.post(&path, "evidence[uncategorized_text]=losing_evidence")).await;
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["balance_transactions"].as_array().unwrap().len(), 1);
    assert_eq!(
        latest_event_types(&s, 2).await,
        ["charge.dispute.updated", "charge.dispute.closed"]
    );
    // €20.00.
    assert_eq!(lost["balance_transactions"][0]["fee"], 2000);

    let staged = dispute_of(&s, &disputed_charge(&s, 3000, "usd").await).await;
    let path = format!("/v1/disputes/{}", id(&staged));
    let staged = ok(s.post(&path, "evidence[product_description]=Boots&submit=false")).await;
    assert_eq!(
        (
            &staged["status"],
            &staged["evidence_details"]["has_evidence"],
            &staged["evidence_details"]["submission_count"]
        ),
        (&json!("needs_response"), &json!(true), &json!(0))
    );
    assert_eq!(latest_event_types(&s, 1).await, ["charge.dispute.updated"]);
    let review = ok(s.post(
        &path,
        "evidence[uncategorized_text]=Receipt+attached&submit=true",
    ))
    .await;
    assert_eq!(review["status"], "under_review");
    assert_eq!(review["evidence"]["product_description"], "Boots");
    let e = err(s.post(&format!("{path}/close"), ""), 400).await;
    assert!(
        e["message"].as_str().unwrap().contains("under review"),
        "{e}"
    );
    let e = err(
        s.post(&path, "evidence[uncategorized_text]=winning_evidence"),
        400,
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("under review"),
        "{e}"
    );
}

#[tokio::test]
async fn unknown_disputes_and_bad_parameters_are_refused_as_stripe_refuses_them() {
    let s = start(quiet()).await;
    let e = err(s.get("/v1/disputes/dp_missing"), 404).await;
    assert_eq!(
        (&e["code"], &e["message"]),
        (
            &json!("resource_missing"),
            &json!("No such dispute: 'dp_missing'")
        )
    );
    let e = err(s.post("/v1/disputes/dp_missing/close", ""), 404).await;
    assert_eq!(e["code"], "resource_missing");
    let e = err(s.post("/v1/disputes/dp_missing", "submit=true"), 404).await;
    assert_eq!(e["code"], "resource_missing");

    let dispute = dispute_of(&s, &disputed_charge(&s, 5000, "usd").await).await;
    let path = format!("/v1/disputes/{}", id(&dispute));
    let e = err(s.post(&path, "evidence[verdict]=mine"), 400).await;
    assert_eq!(
        (&e["code"], &e["param"]),
        (&json!("parameter_unknown"), &json!("evidence[verdict]"))
    );
    let e = err(s.post(&path, "submit=maybe"), 400).await;
    assert_eq!(e["param"], "submit");
    let e = err(s.post(&format!("{path}/close"), "reason=fine"), 400).await;
    assert_eq!(e["code"], "parameter_unknown");
    let e = err(s.get("/v1/disputes?status=lost"), 400).await;
    assert_eq!(e["code"], "parameter_unknown");
    let e = err(s.get("/v1/disputes?limit=0"), 400).await;
    assert_eq!(e["param"], "limit");
    assert_eq!(
        ok(s.get(&path)).await["status"],
        "needs_response",
        "nothing changed"
    );

    // An open dispute blocks refunds, through the payout's refunds too.
    let charge = dispute["charge"].as_str().unwrap();
    let e = err(
        s.post("/v1/refunds", &format!("charge={charge}&amount=100")),
        400,
    )
    .await;
    assert_eq!(e["code"], "charge_disputed");
    let e = err(
        s.post(
            "/v1/sandbox/payouts",
            &format!("currency=usd&refunds[0][charge]={charge}"),
        ),
        400,
    )
    .await;
    assert_eq!(
        (&e["code"], &e["param"]),
        (&json!("charge_disputed"), &json!("refunds[charge]"))
    );
}

#[tokio::test]
async fn disputes_are_listed_newest_first_and_paged() {
    let s = start(quiet()).await;
    let mut made = Vec::new();
    for amount in [1000, 2000, 3000] {
        made.push(dispute_of(&s, &disputed_charge(&s, amount, "usd").await).await);
    }
    let first = ok(s.get("/v1/disputes?limit=2")).await;
    let amounts: Vec<&Value> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["amount"])
        .collect();
    assert_eq!(amounts, [&json!(3000), &json!(2000)]);
    assert_eq!(
        (&first["has_more"], &first["url"]),
        (&json!(true), &json!("/v1/disputes"))
    );
    let rest = ok(s.get(&format!(
        "/v1/disputes?limit=2&starting_after={}",
        id(&first["data"][1])
    )))
    .await;
    assert_eq!(rest["data"], json!([made[0]]));
    assert_eq!(rest["has_more"], false);
    let expanded = ok(s.get(&format!("/v1/disputes/{}?expand[]=charge", id(&made[0])))).await;
    assert_eq!(expanded["charge"]["amount"], 1000);
}

#[tokio::test]
async fn a_payout_with_disputes_pays_out_their_withdrawals_and_reinstatements_and_balances() {
    let s = start(quiet()).await;
    // Nets: 10000 - 205; 5000 - 118, disputed and lost (-5000 - 1500); 3000 - 83, disputed
    // and won (-3000 - 1500, then +3000 + 1500).
    ok(s.post("/v1/charges", "amount=10000&currency=usd&source=tok_visa")).await;
    let lost = dispute_of(&s, &disputed_charge(&s, 5000, "usd").await).await;
    ok(s.post(&format!("/v1/disputes/{}/close", id(&lost)), "")).await;
    let won = dispute_of(&s, &disputed_charge(&s, 3000, "usd").await).await;
    ok(s.post(
        &format!("/v1/disputes/{}", id(&won)),
        "evidence[uncategorized_text]=winning_evidence&submit=true",
    ))
    .await;

    let payout = ok(s.post("/v1/sandbox/payouts", "currency=usd")).await;
    assert_eq!(payout["amount"], 9795 + 4882 - 6500 + 2917 - 4500 + 4500);
    let listed = ok(s.get(&format!(
        "/v1/balance_transactions?payout={}&limit=100",
        id(&payout)
    )))
    .await;
    let lines: Vec<(&str, &str, i64)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap(),
                t["reporting_category"].as_str().unwrap(),
                t["net"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("payout", "payout", -11094),
            ("adjustment", "dispute_reversal", 4500),
            ("adjustment", "dispute", -4500),
            ("charge", "charge", 2917),
            ("adjustment", "dispute", -6500),
            ("charge", "charge", 4882),
            ("charge", "charge", 9795),
        ],
        "newest first"
    );
    let paid_in: i64 = lines.iter().skip(1).map(|(_, _, net)| net).sum();
    assert_eq!(
        paid_in,
        payout["amount"].as_i64().unwrap(),
        "the payout balances"
    );

    // A dispute alone leaves less than nothing to pay out: refused, and nothing changes.
    let small = disputed_charge(&s, 50, "usd").await;
    let e = err(s.post("/v1/sandbox/payouts", "currency=usd"), 400).await;
    assert_eq!(e["code"], "balance_insufficient");
    let e = err(
        s.post(
            "/v1/sandbox/payouts",
            &format!("currency=usd&charges[0]={}", id(&small)),
        ),
        400,
    )
    .await;
    assert_eq!(e["code"], "balance_insufficient");
    assert_eq!(s.state.count("payout"), 1);
    assert_eq!(
        latest_event_types(&s, 1).await,
        ["charge.dispute.funds_withdrawn"]
    );
}

#[tokio::test]
async fn the_connector_fetches_disputes_by_id_and_by_charge() {
    let s = start(quiet()).await;
    let charge = disputed_charge(&s, 5000, "usd").await;
    let dispute = dispute_of(&s, &charge).await;
    let client = StripeClient::with_key(&s.base, KEY).unwrap();
    let fetched = client.get("disputes", id(&dispute)).await.unwrap().unwrap();
    assert_eq!(fetched.data, dispute);
    assert_eq!(client.get("disputes", "dp_missing").await.unwrap(), None);
    let related = client
        .list_all("disputes", &[("charge".into(), id(&charge).into())])
        .await
        .unwrap();
    assert_eq!(related, [dispute]);
    let source = schemas().sources.get("stripe.disputes").unwrap();
    assert!(source.fetchable.by_id);
    let filters: Vec<&str> = source
        .fetchable
        .filters
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(filters, ["charge", "payment_intent"]);
}

#[tokio::test]
async fn a_webhook_endpoint_receives_the_dispute_events() {
    let hook = WebhookReceiver::start().await;
    let s = start(StripeOptions {
        webhooks: vec![WebhookEndpoint::new(
            &hook.url,
            Secret::new("whsec_disputes"),
        )],
        ..quiet()
    })
    .await;
    let dispute = dispute_of(&s, &disputed_charge(&s, 5000, "usd").await).await;
    ok(s.post(&format!("/v1/disputes/{}/close", id(&dispute)), "")).await;
    assert_eq!(
        hook.event_types(4).await,
        [
            "charge.dispute.closed",
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.succeeded"
        ]
    );
}
