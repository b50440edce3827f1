//! Syspro's session and wire rules through the connector: one logon reused, a logoff when the
//! run ends or the client goes away, a new logon after the emulator's idle timeout, answers in
//! Windows-1252 with a lower-cased root, and what a broken answer becomes (an error naming the
//! business object, permanent, so the record is dead-lettered).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use ferry::connectors::http::{HttpConfig, Secret};
use ferry::connectors::syspro::{Logon, SysproClient};
use ferry::connectors::{Client, ConnectorError, MatchKey, Write};
use ferry::sandbox::Sandbox;
use ferry::sandbox::syspro::{SysproConfig, SysproState};
use serde_json::json;

fn logon() -> Logon {
    Logon {
        operator: "ADMIN".into(),
        operator_password: Secret::new("sandbox-password"),
        company_id: "EDU1".into(),
        company_password: None,
    }
}

fn client_at(base: &str) -> SysproClient {
    SysproClient::with_config(base, logon(), HttpConfig::default()).unwrap()
}

/// A seeded emulator with `config` on a loopback port; its `/syspro` base and state.
async fn emulator(config: SysproConfig) -> (String, SysproState, ferry::sandbox::SandboxHandle) {
    ferry::init_tls();
    let sandbox = Sandbox::builder().seed(Some(3)).syspro(config).build();
    let state = sandbox.syspro().unwrap().clone();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    (format!("{}/syspro", handle.base_url()), state, handle)
}

fn by_code(code: &str) -> Vec<MatchKey> {
    vec![MatchKey {
        path: "Customer".into(),
        value: json!(code),
    }]
}

async fn wait_for_no_sessions(state: &SysproState) {
    for _ in 0..100 {
        if state.data().sessions.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the session was never logged off");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_expires_and_the_call_is_sent_again_after_a_new_logon() {
    let config = SysproConfig {
        session_idle: Duration::from_millis(150),
        ..SysproConfig::default()
    };
    let (base, state, _handle) = emulator(config).await;
    let client = client_at(&base);
    assert!(
        client
            .find("customers", &by_code("0000101"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        client
            .find("customers", &by_code("0000102"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(client.http().stats().attempts, 3, "one logon, two finds");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = client.find("customers", &by_code("0000103")).await.unwrap();
    assert_eq!(again.unwrap().id, "0000103");
    // The refused call, a new logon, the same call again.
    assert_eq!(client.http().stats().attempts, 6);
    assert_eq!(
        state.data().sessions.len(),
        1,
        "the expired session is gone"
    );
    client.close().await.unwrap();
    assert!(state.data().sessions.is_empty());
    // A closed client logs on again when it is used again.
    assert!(client.get("customers", "0000104").await.unwrap().is_some());
    assert_eq!(state.data().sessions.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_client_logs_its_session_off() {
    let (base, state, _handle) = emulator(SysproConfig::default()).await;
    let client = client_at(&base);
    client.get("customers", "0000101").await.unwrap();
    assert_eq!(state.data().sessions.len(), 1);
    drop(client);
    wait_for_no_sessions(&state).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn names_in_windows_1252_answers_come_back_as_written() {
    let (base, state, _handle) = emulator(SysproConfig::default()).await;
    let client = client_at(&base);
    // é, € and the curly quotes are Windows-1252 bytes; 日本 is not and comes as references.
    let name = "Café “Zoë” € 日本";
    let write = Write {
        fields: json!({"Customer": "ENC1", "Name": name, "Currency": "AUD"}),
        idempotency_key: "k".into(),
    };
    let created = client.create("customers", &write).await.unwrap();
    assert_eq!(created.data["Name"], json!(name));
    assert_eq!(state.data().customers["ENC1"].get("Name"), name);
    let read = client.get("customers", "ENC1").await.unwrap().unwrap();
    assert_eq!(read.data["Name"], json!(name));

    // The bytes on the wire are Syspro's: declared Windows-1252, the root lower-cased.
    let session = reqwest::get(format!(
        "{base}/SYSPROWCFService/Rest/Logon?Operator=ADMIN&OperatorPassword=sandbox-password&CompanyId=EDU1&CompanyPassword="
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let mut url = url::Url::parse(&format!("{base}/SYSPROWCFService/Rest/Query/Query")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("UserId", session.as_str()),
        ("BusinessObject", "COMFND"),
        ("XmlIn", "<Query><TableName>ArCustomer</TableName><ReturnRows>1</ReturnRows><Columns><Column>Name</Column></Columns><Where><Expression><Column>Customer</Column><Condition>EQ</Condition><Value>ENC1</Value></Expression></Where></Query>"),
    ]);
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    let head = String::from_utf8_lossy(&bytes[..60]).to_string();
    assert!(
        head.starts_with(r#"<?xml version="1.0" encoding="Windows-1252"?><arcustomer>"#),
        "{head}"
    );
    assert!(bytes.windows(4).any(|w| w == b"Caf\xE9"), "é is one byte");
    assert!(String::from_utf8_lossy(&bytes).contains("&#26085;"));
}

/// A stand-in for a Syspro service behind a broken proxy: logons work, every business object
/// call gets `answer`.
async fn broken_service(answer: &'static str) -> String {
    let rest = Router::new()
        .route(
            "/SYSPROWCFService/Rest/Logon",
            get(|| async { "0123456789ABCDEF0123456789ABCDEF00  " }),
        )
        .route("/SYSPROWCFService/Rest/Logoff", get(|| async { "0" }))
        .route(
            "/SYSPROWCFService/Rest/Query/Query",
            get(move || async move { answer }),
        )
        .route(
            "/SYSPROWCFService/Rest/Transaction/Post",
            get(move || async move { answer }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, rest).await });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_answers_name_the_business_object_and_are_permanent() {
    let cases: [(&str, &str); 5] = [
        (
            "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            "an HTML page",
        ),
        (
            "<?xml version=\"1.0\" encoding=\"Windows-1252\"?><arcustomer><Row><Customer>0001",
            "the document ends inside an element",
        ),
        (
            "ERROR: Company EDU1 is locked for period end",
            "Company EDU1 is locked for period end",
        ),
        (
            "<arcustomer><Row><Customer><Value>X</Value><ErrorDescription>Customer 'X' is on hold</ErrorDescription></Customer></Row></arcustomer>",
            "Customer: Customer 'X' is on hold",
        ),
        (
            "<arcustomer><StatusOfItems><ItemsProcessed>000000</ItemsProcessed><ItemsInvalid>000001</ItemsInvalid></StatusOfItems></arcustomer>",
            "1 invalid (ItemsInvalid)",
        ),
    ];
    for (answer, expected) in cases {
        let client = client_at(&broken_service(answer).await);
        let error = client.find("customers", &by_code("X")).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("syspro COMFND (Query/Query)"), "{message}");
        assert!(message.contains(expected), "{expected} not in {message}");
        assert!(error.is_permanent(), "{message}");
        if expected.starts_with("Customer:") {
            assert!(
                matches!(error, ConnectorError::Api { param: Some(ref p), .. } if p == "Customer"),
                "{error:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_too_large_for_one_get_is_refused_before_it_is_sent() {
    let (base, state, _handle) = emulator(SysproConfig::default()).await;
    let client = client_at(&base);
    // Every call is a GET with its XML in the query string: a URL of more than 65,000
    // characters cannot be sent, so the record is refused (dead-lettered), not retried.
    let write = Write {
        fields: json!({"Customer": "BIG1", "Name": "N".repeat(70_000), "Currency": "AUD"}),
        idempotency_key: "k".into(),
    };
    let error = client.create("customers", &write).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("ARSSCS"), "{message}");
    assert!(
        message.contains("more than the 65000 one GET can carry"),
        "{message}"
    );
    assert!(error.is_permanent(), "{message}");
    assert!(!state.data().customers.contains_key("BIG1"));
}
