//! Starting a sandbox around a Pronto tenant and talking to it, for the Pronto emulator's tests.

use std::net::SocketAddr;
use std::time::Duration;

use ferry::sandbox::pronto::{PASSWORD, ProntoConfig, ProntoState, USERNAME};
use ferry::sandbox::{Sandbox, SandboxHandle};
use jiff::Timestamp;
use serde_json::{Value, json};

pub struct Pronto {
    pub handle: SandboxHandle,
    pub state: ProntoState,
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT/pronto`
    pub base: String,
}

/// A tenant seeded with `seed`, or an empty one.
pub async fn start(seed: Option<u64>, config: ProntoConfig) -> Pronto {
    let state = match seed {
        Some(seed) => ProntoState::seeded(config, seed),
        None => ProntoState::new(config),
    };
    serve(state, None).await
}

/// A sandbox serving `state` (kept for the test to inspect), with `faults` injected.
pub async fn serve(state: ProntoState, faults: Option<&str>) -> Pronto {
    ferry::init_tls();
    let handle = Sandbox::builder()
        .faults(faults.map(|f| f.parse().unwrap()))
        .state(state.clone())
        .build()
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("{}/pronto", handle.base_url());
    Pronto {
        handle,
        state,
        client: reqwest::Client::new(),
        base,
    }
}

/// No limit and no delay: most tests are about something else.
pub fn quick() -> ProntoConfig {
    ProntoConfig {
        requests_per_minute: 0,
        transaction_delay: Duration::ZERO,
        ..ProntoConfig::default()
    }
}

impl Pronto {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .basic_auth(USERNAME, Some(PASSWORD))
            .send()
            .await
            .unwrap()
    }

    /// A GET that must answer 200, as JSON.
    pub async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .basic_auth(USERNAME, Some(PASSWORD))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn shutdown(self) {
        self.handle.shutdown().await.unwrap();
    }
}

/// The status and the whole error body, which must be Pronto's shape.
pub async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["message", "backtrace"], "{body}");
    assert!(body["backtrace"].is_array());
    (status, body["message"].as_str().unwrap().to_string())
}

pub fn codes(body: &Value, root: &str, key: &str) -> Vec<String> {
    body[root]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_str().unwrap().to_string())
        .collect()
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn debtor(code: &str) -> Value {
    json!({"code": code, "name": format!("{code} Pty Ltd"), "email": "ap@example.com"})
}

pub fn product(code: &str, inc_tax: &str, ex_tax: &str) -> Value {
    json!({"code": code, "description": format!("Item {code}"), "uom": "EA",
        "prices": [{"debtor": "", "breaks": [],
            "base_price": {"currency_code": "AUD", "inc_tax": inc_tax, "ex_tax": ex_tax}}]})
}

pub fn order_body(reference: &str, debtor: &str, amount: &str) -> String {
    json!({
        "customer_reference": reference,
        "debtor": debtor,
        "delivery_address": {"address1": "1 George Street", "address2": "Sydney",
            "postcode": "2000", "phone": "02 9000 0000"},
        "delivery_instructions": "Leave at reception",
        "payment": {"method": "CC", "reference": "ch_123", "amount": amount,
            "currency_code": "AUD", "bank_code": "STRIPE", "tax_rate_code": "GST"},
        "lines": [
            {"type": "SN", "item_code": "WIDGET", "quantity": 2, "uom": "EA",
                "price_inc_tax": "11.00"},
            {"type": "SN", "item_code": "GADGET", "ordered_qty": "1.0",
                "price_ex_tax": "10.00", "price_inc_tax": "11.50"}
        ]
    })
    .to_string()
}

pub async fn post_order(pronto: &Pronto, body: &str) -> Value {
    let response = pronto.post("/api/json/order/v6.json", body).await;
    assert_eq!(response.status(), 200, "{body}");
    let body: Value = response.json().await.unwrap();
    let transaction = &body["apitransactions"][0];
    assert_eq!(transaction["status"], "Pending");
    assert_eq!(transaction["errors"], json!([]));
    assert_eq!(transaction["warnings"], json!([]));
    assert_eq!(transaction["result_url"], Value::Null);
    let uuid = transaction["uuid"].as_str().unwrap();
    assert_eq!((uuid.len(), &uuid[14..15]), (36, "4"), "{uuid}");
    transaction.clone()
}

pub async fn transaction(pronto: &Pronto, uuid: &str, version: &str) -> Value {
    let body = pronto
        .json(&format!("/api/json/transaction/{version}.json?uuid={uuid}"))
        .await;
    body["apitransactions"][0].clone()
}

pub async fn tenant_with_catalogue(config: ProntoConfig) -> Pronto {
    let pronto = start(None, config).await;
    pronto.state.upsert_debtor(debtor("C1")).unwrap();
    pronto.state.upsert_debtor(debtor("C2")).unwrap();
    pronto
        .state
        .upsert_product(product("WIDGET", "11.0000", "10.0000"))
        .unwrap();
    pronto
        .state
        .upsert_product(product("GADGET", "11.5000", "10.0000"))
        .unwrap();
    pronto
}
