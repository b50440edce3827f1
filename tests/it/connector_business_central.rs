//! The Business Central client against the emulator on a loopback port: client-credentials
//! tokens, OData paging, `$filter` matches, `If-Match` updates and OData errors.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use ferry::connectors::business_central::BusinessCentralClient;
use ferry::connectors::http::{Auth, ClientCredentials, HttpConfig, Secret};
use ferry::connectors::{Client, ConnectorError, MatchKey, PollOptions, SourcePage, Write};
use ferry::sandbox::business_central::{BusinessCentralConfig, SCOPE};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

async fn start(
    seed: Option<u64>,
    config: BusinessCentralConfig,
) -> (SandboxHandle, BusinessCentralClient) {
    ferry::init_tls();
    let sandbox = Sandbox::builder()
        .seed(seed)
        .business_central(config.clone())
        .build();
    let company = sandbox.business_central().unwrap().company_id();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let root = handle.base_url();
    let http = HttpConfig {
        auth: Auth::OAuth2(ClientCredentials {
            token_url: format!("{root}/oauth/{}/oauth2/v2.0/token", config.tenant),
            client_id: config.client_id.clone(),
            client_secret: Secret::new(config.client_secret.as_str()),
            scope: Some(SCOPE.to_string()),
        }),
        ..HttpConfig::default()
    };
    let company_url = format!(
        "{root}/business_central/v2.0/{}/{}/api/v2.0/companies({company})",
        config.tenant, config.environment
    );
    let client = BusinessCentralClient::with_config(&company_url, http).unwrap();
    (handle, client)
}

fn write(fields: Value) -> Write {
    Write {
        fields,
        idempotency_key: "k".into(),
    }
}

fn key(path: &str, value: Value) -> MatchKey {
    MatchKey {
        path: path.into(),
        value,
    }
}

async fn poll_all(
    client: &BusinessCentralClient,
    collection: &str,
    mut cursor: Option<String>,
    page_size: usize,
) -> (Vec<SourcePage>, Option<String>) {
    let options = PollOptions {
        page_size,
        ..PollOptions::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = client
            .poll(collection, cursor.as_deref(), &options)
            .await
            .unwrap();
        cursor = page.cursor.clone().or(cursor);
        let more = page.more;
        pages.push(page);
        if !more {
            return (pages, cursor);
        }
        assert!(pages.len() < 1_000, "polling does not end");
    }
}

#[tokio::test]
async fn one_token_serves_every_request() {
    let (handle, client) = start(Some(1), BusinessCentralConfig::default()).await;
    for _ in 0..3 {
        let found = client
            .find("customers", &[key("number", json!("no such number"))])
            .await
            .unwrap();
        assert!(found.is_none());
    }
    assert_eq!(client.http().stats().token_fetches, 1);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_expiring_token_is_fetched_again() {
    let config = BusinessCentralConfig {
        token_lifetime: Duration::from_secs(1),
        ..BusinessCentralConfig::default()
    };
    let (handle, client) = start(Some(1), config).await;
    let search = [key("number", json!("none"))];
    client.find("customers", &search).await.unwrap();
    // The client refreshes half way through a one-second token.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    client.find("customers", &search).await.unwrap();
    assert_eq!(client.http().stats().token_fetches, 2);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_find_by_number_and_update_with_if_match() {
    let (handle, client) = start(None, BusinessCentralConfig::default()).await;
    let created = client
        .create(
            "customers",
            &write(json!({"displayName": "O'Brien Pty", "email": "o'brien@example.com", "creditLimit": 1500.25})),
        )
        .await
        .unwrap();
    let number = created.data["number"].as_str().unwrap().to_string();
    assert!(created.etag.is_some());
    let found = client
        .find(
            "customers",
            &[
                key("number", json!(number)),
                key("email", json!("o'brien@example.com")),
            ],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, created.id);
    assert_eq!(found.etag, created.etag);
    assert_eq!(found.data["creditLimit"].to_string(), "1500.25");
    let updated = client
        .update(
            "customers",
            &found,
            &write(json!({"phoneNumber": "+61 2 5550 1234"})),
        )
        .await
        .unwrap();
    assert_eq!(updated.data["phoneNumber"], "+61 2 5550 1234");
    assert_ne!(updated.etag, found.etag);
    let read = client.get("customers", &created.id).await.unwrap().unwrap();
    assert_eq!(read.etag, updated.etag);
    assert!(
        client
            .get("customers", "00000000-0000-0000-0000-00000000dead")
            .await
            .unwrap()
            .is_none()
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stale_etag_is_read_again_and_the_update_applied() {
    let (handle, client) = start(None, BusinessCentralConfig::default()).await;
    let stale = client
        .create("customers", &write(json!({"displayName": "Contoso"})))
        .await
        .unwrap();
    // Someone else changes the record after ferry read it.
    let theirs = client
        .update("customers", &stale, &write(json!({"city": "Perth"})))
        .await
        .unwrap();
    let ours = client
        .update(
            "customers",
            &stale,
            &write(json!({"email": "ap@contoso.example"})),
        )
        .await
        .unwrap();
    assert_eq!(ours.data["email"], "ap@contoso.example");
    assert_eq!(ours.data["city"], "Perth");
    assert_ne!(ours.etag, theirs.etag);
    assert_ne!(ours.etag, stale.etag);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn odata_paging_polls_every_customer_once_and_then_the_changes() {
    let (handle, client) = start(Some(4), BusinessCentralConfig::default()).await;
    let (pages, cursor) = poll_all(&client, "customers", None, 40).await;
    assert_eq!(pages.len(), 8);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for record in pages.iter().flat_map(|p| &p.records) {
        *counts.entry(record.id.clone()).or_default() += 1;
        assert!(!record.deleted);
    }
    assert_eq!(counts.len(), 300);
    assert!(counts.values().all(|n| *n == 1));
    let some = pages[3].records[2].clone();
    let current = client.get("customers", &some.id).await.unwrap().unwrap();
    client
        .update("customers", &current, &write(json!({"city": "Hobart"})))
        .await
        .unwrap();
    let (pages, _) = poll_all(&client, "customers", cursor, 40).await;
    let changed: Vec<_> = pages.iter().flat_map(|p| &p.records).collect();
    assert!(
        changed
            .iter()
            .any(|r| r.id == some.id && r.data["city"] == "Hobart")
    );
    assert!(changed.len() < 300, "the second poll read everything again");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_odata_error_is_an_api_error() {
    let (handle, client) = start(None, BusinessCentralConfig::default()).await;
    let error = client
        .find("customers", &[key("favouriteColour", json!("green"))])
        .await
        .unwrap_err();
    match &error {
        ConnectorError::Api {
            status,
            code,
            message,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(code.as_deref(), Some("BadRequest"));
            assert!(message.contains("favouriteColour"), "{message}");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(error.code(), "BadRequest");
    assert!(matches!(
        client
            .poll("journalLines", None, &PollOptions::default())
            .await,
        Err(ConnectorError::Unsupported(_))
    ));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn fetch_all_lists_every_page_and_filters_on_properties() {
    let (handle, client) = start(Some(4), BusinessCentralConfig::default()).await;
    let customers = client.list_all("customers", &[]).await.unwrap();
    let ids: std::collections::HashSet<&str> = customers
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!((customers.len(), ids.len()), (300, 300), "every page once");

    let rates = client
        .list_all(
            "currencyExchangeRates",
            &[("currencyCode".into(), "USD".into())],
        )
        .await
        .unwrap();
    assert_eq!(rates.len(), 1, "{rates:#?}");
    assert_eq!(rates[0]["currencyCode"], "USD");
    assert_eq!(rates[0]["relationalCurrencyCode"], "");
    let lcy_per_usd: rust_decimal::Decimal = rates[0]["relationalExchangeRateAmount"]
        .to_string()
        .trim_matches('"')
        .parse()
        .unwrap();
    assert_eq!(lcy_per_usd, rust_decimal::Decimal::new(1524, 3));
    let none = client
        .list_all(
            "currencyExchangeRates",
            &[("currencyCode".into(), "O'Brien".into())],
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "a quote in a filter value is escaped");
    handle.shutdown().await.unwrap();
}
