//! The Pronto Avenue emulator's order creation against the wire contract: order/v6 answers
//! with a Pending transaction that ends Complete (the order in order/v4) or Error; malformed
//! bodies; the one-shot breakages; price changes.

use ferry::sandbox::pronto::{Breakage, ProntoConfig};
use jiff::SignedDuration;
use serde_json::{Value, json};

use crate::sandbox_pronto_support::*;

#[tokio::test]
async fn an_order_goes_pending_then_complete_and_shows_in_order_v4_with_its_payment() {
    let pronto = tenant_with_catalogue(ProntoConfig {
        requests_per_minute: 0,
        ..ProntoConfig::default()
    })
    .await;
    let posted = post_order(&pronto, &order_body("PO-1", "C1", "33.50")).await;
    let uuid = posted["uuid"].as_str().unwrap();
    assert_eq!(transaction(&pronto, uuid, "v5").await["status"], "Pending");
    assert!(pronto.state.orders().is_empty());
    // The transaction is settled two seconds after the POST.
    let later = pronto
        .state
        .now()
        .checked_add(SignedDuration::from_secs(3))
        .unwrap();
    pronto.state.set_clock(later);
    let settled = transaction(&pronto, uuid, "v4").await;
    assert_eq!(
        settled,
        json!({"uuid": uuid, "status": "Complete", "errors": [], "warnings": [],
            "result_url": "/api/json/order/v4?number=177000"})
    );
    let result_url = settled["result_url"].as_str().unwrap();
    let body = pronto.json(result_url).await;
    assert_eq!(body["count"], 1);
    let order = &body["orders"][0];
    assert_eq!(pronto.state.orders(), vec![order.clone()]);
    for (key, value) in [
        ("pronto_order_number", "177000"),
        ("suffix", ""),
        ("customer_reference", "PO-1"),
        ("debtor", "C1"),
        ("status_code", "30"),
        ("currency_code", "AUD"),
        ("payment_method", "CC"),
        ("payment_reference", "ch_123"),
        ("payment_amount", "33.50"),
    ] {
        assert_eq!(order[key], value, "{key}");
    }
    assert_eq!(order["delivery_address"]["phone"], "02 9000 0000");
    assert_eq!(
        order["delivery_instructions"]["del_inst_1"],
        "Leave at reception"
    );
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (&lines[0]["stock_code"], &lines[0]["uom"]),
        (&json!("WIDGET"), &json!("EA"))
    );
    // Sent as a number, shown as one (`2.0`).
    assert!(lines[0]["ordered_qty"].is_number());
    assert_eq!(lines[0]["ordered_qty"].to_string(), "2.0");
    // ex-tax as sent, or inc/1.1 to the cent.
    assert_eq!(
        (&lines[0]["price_ex_tax"], &lines[0]["price_inc_tax"]),
        (&json!("10.00"), &json!("11.00"))
    );
    assert_eq!(
        (
            &lines[1]["ordered_qty"],
            &lines[1]["price_ex_tax"],
            &lines[1]["price_inc_tax"]
        ),
        (&json!("1.0"), &json!("10.00"), &json!("11.50"))
    );
    assert_eq!(lines[1]["description"], "Item GADGET");
    pronto.shutdown().await;
}

#[tokio::test]
async fn each_broken_rule_ends_the_transaction_in_error_without_an_order() {
    let pronto = tenant_with_catalogue(quick()).await;
    let first = post_order(&pronto, &order_body("PO-1", "C1", "33.50")).await;
    assert_eq!(
        transaction(&pronto, first["uuid"].as_str().unwrap(), "v5").await["status"],
        "Complete"
    );
    let mut other_currency: Value =
        serde_json::from_str(&order_body("PO-5", "C1", "33.50")).unwrap();
    other_currency["payment"]["currency_code"] = json!("NZD");
    let mut no_product: Value = serde_json::from_str(&order_body("PO-6", "C1", "33.50")).unwrap();
    no_product["lines"][0]["item_code"] = json!("NOPE");
    let cases = [
        (
            order_body("PO-2", "C404", "33.50"),
            "Debtor 'C404' does not exist",
        ),
        (no_product.to_string(), "Item code 'NOPE' is not a product"),
        (
            other_currency.to_string(),
            "Payment currency 'NZD' is not AUD",
        ),
        (
            order_body("PO-3", "C1", "33.49"),
            "Payment amount 33.49 does not equal the order total 33.50",
        ),
        (
            order_body("PO-1", "C1", "33.50"),
            "Customer reference PO-1 already used by order 177000",
        ),
    ];
    for (body, error) in cases {
        let posted = post_order(&pronto, &body).await;
        let settled = transaction(&pronto, posted["uuid"].as_str().unwrap(), "v5").await;
        assert_eq!(settled["status"], "Error", "{error}");
        assert_eq!(settled["errors"], json!([error]));
        assert_eq!(settled["result_url"], Value::Null);
    }
    // Another debtor may use the same purchase-order number.
    let posted = post_order(&pronto, &order_body("PO-1", "C2", "33.50")).await;
    let settled = transaction(&pronto, posted["uuid"].as_str().unwrap(), "v5").await;
    assert_eq!(settled["result_url"], "/api/json/order/v4?number=177001");
    let numbers: Vec<Value> = pronto
        .state
        .orders()
        .iter()
        .map(|o| o["pronto_order_number"].clone())
        .collect();
    assert_eq!(numbers, [json!("177000"), json!("177001")]);
    pronto.shutdown().await;
}

#[tokio::test]
async fn a_malformed_order_is_refused_at_once_naming_the_field() {
    let pronto = tenant_with_catalogue(quick()).await;
    let line = r#"{"item_code":"WIDGET","quantity":1,"price_inc_tax":"11"}"#;
    let cases = [
        ("not json".to_string(), 400, "The body is not valid JSON"),
        ("[1]".to_string(), 400, "The body is not an object"),
        (r#"{"debtor":"C1"}"#.to_string(), 400, "lines is missing"),
        (
            r#"{"debtor":"C1","lines":[]}"#.to_string(),
            400,
            "lines is empty",
        ),
        (
            format!(
                r#"{{"lines":[{line},{{"item_code":"WIDGET","quantity":"lots","price_inc_tax":"11"}}]}}"#
            ),
            422,
            "lines[1].quantity is not a number",
        ),
        (
            format!(r#"{{"lines":[{line}],"payment":{{"amount":true}}}}"#),
            422,
            "payment.amount is not a number",
        ),
        (
            format!(r#"{{"debtor":["C1"],"lines":[{line}]}}"#),
            422,
            "debtor is not a string",
        ),
    ];
    for (body, status, needle) in cases {
        let (got, message) = error_of(pronto.post("/api/json/order/v6.json", &body).await).await;
        assert_eq!(got, status, "{body}");
        assert!(message.starts_with(needle), "{body}: {message}");
    }
    assert!(pronto.state.data().transactions.is_empty());
    let (status, message) = error_of(pronto.get("/api/json/transaction/v5.json").await).await;
    assert_eq!((status, message.as_str()), (400, "uuid is missing"));
    let (status, _) = error_of(
        pronto
            .get("/api/json/transaction/v5.json?uuid=7d0e3f4e-0000-4000-8000-000000000000")
            .await,
    )
    .await;
    assert_eq!(status, 404);
    pronto.shutdown().await;
}

#[tokio::test]
async fn each_breakage_spoils_one_answer_only() {
    let pronto = tenant_with_catalogue(quick()).await;
    let path = "/api/json/debtor/v4.json";

    pronto.state.break_next(Breakage::Html);
    let response = pronto.get(path).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );

    pronto.state.break_next(Breakage::HtmlServerError);
    let response = pronto.get(path).await;
    assert_eq!(response.status(), 500);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("something went wrong")
    );

    pronto.state.break_next(Breakage::ErrorInside200);
    let response = pronto.get(path).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["message"]
    );

    // A cut answer: the order is still posted.
    pronto.state.break_next(Breakage::TruncatedJson);
    let response = pronto
        .post(
            "/api/json/order/v6.json",
            &order_body("PO-9", "C1", "33.50"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"apitransactions\""), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(pronto.state.orders().len(), 1);

    assert_eq!(
        pronto.json(path).await["count"],
        2,
        "the next answer is whole"
    );
    assert_eq!(pronto.state.calls(), 5);
    pronto.shutdown().await;
}

#[tokio::test]
async fn a_changed_price_moves_the_products_updated_at() {
    let pronto = tenant_with_catalogue(quick()).await;
    pronto.state.set_clock(at("2030-01-10T00:00:00Z"));
    pronto
        .state
        .set_base_price("WIDGET", "12.1000", "11.0000")
        .unwrap();
    let body = pronto
        .json("/api/json/product/v4.json?updated_since=10-01-2030-11-00")
        .await;
    assert_eq!(codes(&body, "products", "code"), ["WIDGET"]);
    assert_eq!(
        body["products"][0]["prices"][0]["base_price"],
        json!({"currency_code": "AUD", "inc_tax": "12.1000", "ex_tax": "11.0000"})
    );
    assert!(pronto.state.set_base_price("NOPE", "1", "1").is_err());
    assert!(pronto.state.set_base_price("WIDGET", "one", "1").is_err());
    pronto.shutdown().await;
}
