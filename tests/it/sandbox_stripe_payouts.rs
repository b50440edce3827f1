//! Balance transactions and payouts in the Stripe emulator: each succeeded charge has its
//! balance transaction with Stripe's fee, and a seeded payout lists what it paid out.

use crate::sandbox_stripe_support;

use sandbox_stripe_support::{err, ok, quiet, start};
use serde_json::{Value, json};

fn id(object: &Value) -> &str {
    object["id"].as_str().unwrap()
}

#[tokio::test]
async fn a_payout_lists_its_charges_refund_fee_adjustment_and_itself() {
    let s = start(quiet()).await;
    let big = ok(s.post("/v1/sandbox/charges", "amount=10000&currency=aud")).await;
    let small = ok(s.post("/v1/sandbox/charges", "amount=2000&currency=aud")).await;
    ok(s.post("/v1/sandbox/charges", "amount=500&currency=usd")).await;
    ok(s.post(
        "/v1/sandbox/charges",
        "amount=700&currency=aud&status=failed",
    ))
    .await;

    let txn = ok(s.get(&format!(
        "/v1/balance_transactions/{}",
        big["balance_transaction"].as_str().unwrap()
    )))
    .await;
    assert_eq!(
        (&txn["amount"], &txn["fee"], &txn["net"]),
        (&json!(10000), &json!(205), &json!(9795))
    );
    assert_eq!(
        txn["fee_details"],
        json!([{"amount": 205, "application": null, "currency": "aud", "description": "Stripe processing fees", "type": "stripe_fee"}])
    );
    assert_eq!(
        (&txn["source"], &txn["reporting_category"]),
        (&big["id"], &json!("charge"))
    );

    let payout = ok(s.post(
        "/v1/sandbox/payouts",
        &format!(
            "currency=aud&refunds[0][charge]={}&refunds[0][amount]=500\
             &fees[0][amount]=1500&fees[0][description]=Radar\
             &adjustments[0][amount]=-250&adjustments[0][description]=Dispute",
            id(&small)
        ),
    ))
    .await;
    // 9795 + (2000 - 65) - 500 - 1500 - 250
    assert_eq!(payout["amount"], 9480);
    assert_eq!(
        (&payout["status"], &payout["object"]),
        (&json!("paid"), &json!("payout"))
    );
    assert_eq!(
        ok(s.get(&format!("/v1/payouts/{}", id(&payout)))).await,
        payout
    );

    let listed = ok(s.get(&format!(
        "/v1/balance_transactions?payout={}&limit=100",
        id(&payout)
    )))
    .await;
    let data = listed["data"].as_array().unwrap();
    let kinds: Vec<(&str, i64)> = data
        .iter()
        .map(|t| (t["type"].as_str().unwrap(), t["net"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("payout", -9480),
            ("adjustment", -250),
            ("stripe_fee", -1500),
            ("refund", -500),
            ("charge", 1935),
            ("charge", 9795),
        ],
        "newest first"
    );
    assert_eq!(data[5]["id"], big["balance_transaction"]);
    assert_eq!(data[0]["id"], payout["balance_transaction"]);
    assert!(data[3]["source"].as_str().unwrap().starts_with("re_"));
    assert_eq!(listed["has_more"], false);

    let refunded = ok(s.get(&format!("/v1/charges/{}", id(&small)))).await;
    assert_eq!(
        (&refunded["amount_refunded"], &refunded["refunded"]),
        (&json!(500), &json!(false))
    );
    let events = ok(s.get("/v1/events?limit=3")).await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["payout.paid", "refund.created", "charge.refunded"]);
    let refund = ok(s.get(&format!(
        "/v1/refunds/{}",
        data[3]["source"].as_str().unwrap()
    )))
    .await;
    assert_eq!(
        (
            &refund["amount"],
            &refund["charge"],
            &refund["balance_transaction"]
        ),
        (&json!(500), &small["id"], &data[3]["id"])
    );

    // Everything in AUD is paid out now; the USD charge is untouched.
    let e = err(s.post("/v1/sandbox/payouts", "currency=aud"), 400).await;
    assert_eq!(e["code"], "balance_insufficient");
    let usd = ok(s.post("/v1/sandbox/payouts", "currency=usd")).await;
    assert_eq!(usd["amount"], 500 - 39);
    let e = err(s.get("/v1/balance_transactions?payout=po_missing"), 404).await;
    assert_eq!(e["param"], "payout");
    let charges = ok(s.get("/v1/balance_transactions?type=charge&limit=100")).await;
    assert_eq!(
        charges["data"].as_array().unwrap().len(),
        3,
        "no transaction for the failed charge"
    );
    let expanded = ok(s.get(&format!(
        "/v1/charges/{}?expand[]=balance_transaction",
        id(&big)
    )))
    .await;
    assert_eq!(expanded["balance_transaction"], txn);
}

#[tokio::test]
async fn a_payout_refuses_what_it_cannot_pay_out() {
    let s = start(quiet()).await;
    let charge = ok(s.post("/v1/sandbox/charges", "amount=1000&currency=aud")).await;
    let e = err(s.post("/v1/sandbox/payouts", "amount=1&currency=aud"), 400).await;
    assert_eq!(e["code"], "parameter_unknown");
    let e = err(
        s.post("/v1/sandbox/payouts", "charges[0]=ch_missing&currency=aud"),
        404,
    )
    .await;
    assert_eq!(e["param"], "charges");
    let e = err(
        s.post(
            "/v1/sandbox/payouts",
            &format!(
                "currency=aud&refunds[0][charge]={}&refunds[0][amount]=1001",
                id(&charge)
            ),
        ),
        400,
    )
    .await;
    assert_eq!(e["param"], "refunds[amount]");
    let paid = ok(s.post(
        "/v1/sandbox/payouts",
        &format!("currency=aud&charges[0]={}", id(&charge)),
    ))
    .await;
    assert_eq!(paid["amount"], 1000 - 48);
    let e = err(
        s.post(
            "/v1/sandbox/payouts",
            &format!("currency=aud&charges[0]={}", id(&charge)),
        ),
        400,
    )
    .await;
    assert_eq!(e["param"], "charges", "paid out once only");
}

#[tokio::test]
async fn a_failed_payout_changes_no_charge_and_no_balance() {
    let s = start(quiet()).await;
    let charge = ok(s.post("/v1/sandbox/charges", "amount=1000&currency=aud")).await;
    let transactions_before = ok(s.get("/v1/balance_transactions?limit=100")).await;
    let events_before = ok(s.get("/v1/events?limit=100")).await;

    // 952 available, 1000 refunded: nothing left to pay out.
    let e = err(
        s.post(
            "/v1/sandbox/payouts",
            &format!("currency=aud&refunds[0][charge]={}", id(&charge)),
        ),
        400,
    )
    .await;
    assert_eq!(e["code"], "balance_insufficient");
    // A fee larger than the balance fails the same way.
    let e = err(
        s.post("/v1/sandbox/payouts", "currency=aud&fees[0][amount]=5000"),
        400,
    )
    .await;
    assert_eq!(e["code"], "balance_insufficient");

    let after = ok(s.get(&format!("/v1/charges/{}", id(&charge)))).await;
    assert_eq!(after, charge, "the charge is as it was");
    assert_eq!(
        ok(s.get("/v1/balance_transactions?limit=100")).await,
        transactions_before
    );
    assert_eq!(ok(s.get("/v1/events?limit=100")).await, events_before);
    assert_eq!(ok(s.get("/v1/payouts")).await["data"], json!([]));

    // The balance is still whole: the next payout takes all of it.
    let paid = ok(s.post("/v1/sandbox/payouts", "currency=aud")).await;
    assert_eq!(paid["amount"], 1000 - 48);
}

#[tokio::test]
async fn a_payout_carries_the_refunds_made_since_the_last_one() {
    let s = start(quiet()).await;
    let kept = ok(s.post("/v1/charges", "amount=10000&currency=aud&source=tok_visa")).await;
    let refunded = ok(s.post("/v1/charges", "amount=2000&currency=aud&source=tok_visa")).await;
    let refund = ok(s.post(
        "/v1/refunds",
        &format!("charge={}&amount=700", id(&refunded)),
    ))
    .await;

    let payout = ok(s.post("/v1/sandbox/payouts", "currency=aud")).await;
    // 9795 + 1935 - 700
    assert_eq!(payout["amount"], 11030);
    let listed = ok(s.get(&format!("/v1/balance_transactions?payout={}", id(&payout)))).await;
    let sources: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["source"])
        .collect();
    assert_eq!(
        sources,
        [&payout["id"], &refund["id"], &refunded["id"], &kept["id"]]
    );

    // A payout of named charges takes their refunds too, and nothing else.
    let later = ok(s.post("/v1/charges", "amount=3000&currency=aud&source=tok_visa")).await;
    let other = ok(s.post("/v1/charges", "amount=4000&currency=aud&source=tok_visa")).await;
    ok(s.post("/v1/refunds", &format!("charge={}&amount=1000", id(&later)))).await;
    let named = ok(s.post(
        "/v1/sandbox/payouts",
        &format!("currency=aud&charges[0]={}", id(&later)),
    ))
    .await;
    // (3000 - 83) - 1000
    assert_eq!(named["amount"], 1917);
    let rest = ok(s.post("/v1/sandbox/payouts", "currency=aud")).await;
    assert_eq!(rest["amount"], 4000 - 100, "{other}");
}
