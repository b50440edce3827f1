//! `StripeClient` against the Stripe emulator on an ephemeral loopback port.

use crate::sandbox_stripe_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::connectors::http::{Auth, HttpConfig, RetryPolicy, Secret};
use ferry::connectors::stripe::StripeClient;
use ferry::connectors::{ConnectorError, MatchKey, PollOptions, SourcePage, TargetRecord, Write};
use ferry::project::{self, ResolvedConnection};
use ferry::sandbox::stripe::StripeState;
use ferry::sandbox::{FaultSpec, Sandbox};
use sandbox_stripe_support::{KEY, Stripe, ok, quiet, start};
use serde_json::{Value, json};

async fn client_for(stripe: &Stripe) -> StripeClient {
    StripeClient::with_key(&stripe.base, KEY).unwrap()
}

fn write(fields: Value, key: &str) -> Write {
    Write {
        fields,
        idempotency_key: key.to_string(),
    }
}

/// Creates customer `c{n}@example.com` with idempotency key `k-{n}`; its id.
async fn create_customer(client: &StripeClient, n: u32) -> String {
    let fields = json!({"email": format!("c{n}@example.com")});
    create_ok(client, "customers", fields, &format!("k-{n}"))
        .await
        .id
}

async fn create_ok(
    client: &StripeClient,
    collection: &str,
    fields: Value,
    key: &str,
) -> TargetRecord {
    client
        .create(collection, &write(fields, key))
        .await
        .unwrap()
}

fn key(path: &str, value: Value) -> MatchKey {
    MatchKey {
        path: path.to_string(),
        value,
    }
}

fn ids(page: &SourcePage) -> Vec<String> {
    page.records.iter().map(|r| r.id.clone()).collect()
}

/// Every event the emulator holds, oldest first, read straight from its list.
async fn all_event_ids(stripe: &Stripe) -> Vec<String> {
    let page = ok(stripe.get("/v1/events?limit=100")).await;
    assert_eq!(page["has_more"], false);
    let mut ids: Vec<String> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.reverse();
    ids
}

async fn seed_charge(stripe: &Stripe, amount: u32) {
    ok(stripe.post(
        "/v1/sandbox/charges",
        &format!("amount={amount}&currency=aud"),
    ))
    .await;
}

/// The emulator with `count` customers, each followed by a charge of `100 + n` cents: one
/// `customer.created` and one `charge.succeeded` event each.
async fn with_customers_and_charges(count: u32) -> (Stripe, StripeClient) {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    for n in 0..count {
        create_customer(&client, n).await;
        seed_charge(&stripe, 100 + n).await;
    }
    (stripe, client)
}

fn options(page_size: usize) -> PollOptions {
    PollOptions {
        page_size,
        ..PollOptions::default()
    }
}

#[tokio::test]
async fn create_then_get() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let fields = json!({
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "balance": -250,
        "metadata": {"capsule_id": "11587"},
        "address": {"line1": "1 Analytical Way", "city": "London"},
    });
    let created = client
        .create("customers", &write(fields, "k-create"))
        .await
        .unwrap();
    assert!(created.id.starts_with("cus_"), "{}", created.id);
    assert_eq!(created.data["email"], "ada@example.com");
    assert_eq!(created.data["balance"], -250);
    assert_eq!(created.data["metadata"], json!({"capsule_id": "11587"}));
    assert_eq!(created.data["address"]["line1"], "1 Analytical Way");
    assert_eq!(created.etag, None);

    let fetched = client.get("customers", &created.id).await.unwrap().unwrap();
    assert_eq!(fetched, created);
    assert_eq!(client.get("customers", "cus_missing").await.unwrap(), None);

    ok(stripe.delete(&format!("/v1/customers/{}", created.id))).await;
    assert_eq!(client.get("customers", &created.id).await.unwrap(), None);
}

#[tokio::test]
async fn find_by_email_metadata_and_lookup_key() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let ada_fields = json!({"email": "ada@example.com", "metadata": {"capsule_id": "11587"}});
    let ada = create_ok(&client, "customers", ada_fields, "k-ada").await;
    let bob_fields = json!({"email": "o'brien@example.com", "metadata": {"capsule_id": "42"}});
    let bob = create_ok(&client, "customers", bob_fields, "k-bob").await;

    let ada_email = key("email", json!("ada@example.com"));
    let found = |collection: &'static str, keys: Vec<MatchKey>| {
        let client = client.clone();
        async move {
            let record = client.find(collection, &keys).await.unwrap();
            record.map(|r| r.id)
        }
    };
    assert_eq!(
        found("customers", vec![ada_email.clone()]).await,
        Some(ada.id.clone())
    );
    let quoted = key("email", json!("o'brien@example.com"));
    assert_eq!(found("customers", vec![quoted]).await, Some(bob.id.clone()));
    let by_metadata = key("metadata.capsule_id", json!(42));
    assert_eq!(
        found("customers", vec![by_metadata.clone()]).await,
        Some(bob.id)
    );
    assert_eq!(found("customers", vec![ada_email, by_metadata]).await, None);
    let nobody = key("email", json!("nobody@example.com"));
    assert_eq!(found("customers", vec![nobody]).await, None);

    let product = create_ok(&client, "products", json!({"name": "Gold plan"}), "k-prod").await;
    let price_fields = json!({"product": product.id, "currency": "aud", "unit_amount": 1999,
                              "lookup_key": "gold_monthly"});
    let price = create_ok(&client, "prices", price_fields, "k-price").await;
    assert_eq!(price.data["unit_amount"], 1999);
    let gold = key("lookup_key", json!("gold_monthly"));
    assert_eq!(found("prices", vec![gold.clone()]).await, Some(price.id));
    let usd = key("currency", json!("usd"));
    assert_eq!(found("prices", vec![gold, usd]).await, None);
}

#[tokio::test]
async fn update_sends_the_changed_fields() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let created = client
        .create(
            "customers",
            &write(
                json!({"email": "ada@example.com", "name": "Ada",
                       "metadata": {"capsule_id": "11587", "tier": "gold"}}),
                "k-1",
            ),
        )
        .await
        .unwrap();
    let updated = client
        .update(
            "customers",
            &created,
            &write(
                json!({"name": "Ada King", "metadata": {"tier": null}, "phone": "+61 400 000 000"}),
                "k-2",
            ),
        )
        .await
        .unwrap();
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.data["name"], "Ada King");
    assert_eq!(updated.data["email"], "ada@example.com");
    assert_eq!(updated.data["phone"], "+61 400 000 000");
    assert_eq!(updated.data["metadata"], json!({"capsule_id": "11587"}));

    let unchanged = client
        .update("customers", &updated, &write(json!({}), "k-3"))
        .await
        .unwrap();
    assert_eq!(unchanged, updated);
    assert_eq!(stripe.state.count("customer"), 1);
}

#[tokio::test]
async fn the_same_idempotency_key_creates_one_object() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let fields = json!({"email": "ada@example.com"});
    let first = create_ok(&client, "customers", fields.clone(), "k-same").await;
    let second = create_ok(&client, "customers", fields, "k-same").await;
    assert_eq!(second, first);
    assert_eq!(stripe.state.count("customer"), 1);

    let error = client
        .create(
            "customers",
            &write(json!({"email": "bob@example.com"}), "k-same"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Api { status: 400, kind: Some(kind), .. } if kind == "idempotency_error"),
        "{error:?}"
    );
    assert_eq!(stripe.state.count("customer"), 1);
}

#[tokio::test]
async fn an_unknown_parameter_is_an_api_error() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let error = client
        .create("customers", &write(json!({"nmae": "Ada"}), "k-typo"))
        .await
        .unwrap_err();
    let ConnectorError::Api {
        endpoint,
        status,
        kind,
        code,
        param,
        message,
    } = &error
    else {
        panic!("expected an API error, got {error:?}");
    };
    assert_eq!(*status, 400);
    assert!(
        endpoint.starts_with("stripe: create customers (POST http://127.0.0.1:"),
        "{endpoint}"
    );
    assert_eq!(kind.as_deref(), Some("invalid_request_error"));
    assert_eq!(code.as_deref(), Some("parameter_unknown"));
    assert_eq!(param.as_deref(), Some("nmae"));
    assert_eq!(message, "Received unknown parameter: nmae");
    assert!(error.is_permanent());
    assert_eq!(error.code(), "parameter_unknown");
    assert!(!error.to_string().contains(KEY));
    assert_eq!(stripe.state.count("customer"), 0);
}

#[tokio::test]
async fn events_poll_oldest_first_across_pages_without_gaps() {
    let (stripe, client) = with_customers_and_charges(4).await;
    assert_eq!(stripe.state.count("event"), 8);

    let mut polled = Vec::new();
    let first = client.poll("events", None, &options(3)).await.unwrap();
    assert_eq!((first.records.len(), first.more), (3, true));
    polled.extend(ids(&first));
    let mut cursor = first.cursor.clone().unwrap();

    // New events between polls come after the ones not yet read.
    seed_charge(&stripe, 900).await;
    let mut pages = Vec::new();
    loop {
        let page = client
            .poll("events", Some(&cursor), &options(3))
            .await
            .unwrap();
        pages.push((page.records.len(), page.more));
        polled.extend(ids(&page));
        if let Some(next) = page.cursor {
            cursor = next;
        }
        if !page.more {
            break;
        }
    }
    assert_eq!(pages, [(3, true), (3, false)]);
    assert_eq!(polled, all_event_ids(&stripe).await);

    let idle = client
        .poll("events", Some(&cursor), &options(3))
        .await
        .unwrap();
    assert_eq!(idle, SourcePage::default());

    seed_charge(&stripe, 901).await;
    let next = client
        .poll("events", Some(&cursor), &options(3))
        .await
        .unwrap();
    assert_eq!(next.records.len(), 1);
    assert_eq!(next.records[0].data["type"], "charge.succeeded");
    assert_eq!(next.records[0].data["data"]["object"]["amount"], 901);
    assert_eq!(next.records[0].id, next.records[0].data["id"]);
}

#[tokio::test]
async fn events_filter_by_type_and_since() {
    let (_stripe, client) = with_customers_and_charges(3).await;
    let charges_only = PollOptions {
        event_types: vec!["charge.succeeded".into()],
        page_size: 2,
        ..PollOptions::default()
    };
    let first = client.poll("events", None, &charges_only).await.unwrap();
    let second = client
        .poll("events", first.cursor.as_deref(), &charges_only)
        .await
        .unwrap();
    let amounts: Vec<Value> = first
        .records
        .iter()
        .chain(&second.records)
        .map(|r| r.data["data"]["object"]["amount"].clone())
        .collect();
    assert_eq!(amounts, [json!(100), json!(101), json!(102)]);
    assert!(first.more && !second.more);

    let future = PollOptions {
        since: Some(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)),
        ..options(10)
    };
    let none = client.poll("events", None, &future).await.unwrap();
    assert_eq!(none, SourcePage::default());
}

#[tokio::test]
async fn customers_poll_in_pages_and_survive_a_deleted_cursor() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create_customer(&client, n).await);
    }
    let mut polled = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = client
            .poll("customers", cursor.as_deref(), &options(2))
            .await
            .unwrap();
        sizes.push(page.records.len());
        polled.extend(ids(&page));
        cursor = page.cursor.or(cursor);
        if !page.more {
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(polled, created);

    // The cursor's customer is deleted: the next poll reads again from its second.
    let cursor = cursor.unwrap();
    ok(stripe.delete(&format!("/v1/customers/{}", created[4]))).await;
    let newest = create_ok(
        &client,
        "customers",
        json!({"email": "new@example.com"}),
        "k-new",
    )
    .await;
    let page = client
        .poll("customers", Some(&cursor), &options(100))
        .await
        .unwrap();
    let after = ids(&page);
    assert_eq!(after.last(), Some(&newest.id));
    assert!(!after.contains(&created[4]));
}

#[tokio::test]
async fn faults_still_give_one_object_per_create() {
    let state = StripeState::new(quiet());
    let faults: FaultSpec = "500=0.25,503=0.1,429=0.05,seed=7".parse().unwrap();
    let sandbox = Sandbox::builder()
        .faults(Some(faults))
        .stripe(state.clone())
        .build();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let config = HttpConfig {
        auth: Auth::Bearer(Secret::new(KEY)),
        retry: RetryPolicy {
            max_attempts: 20,
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(60),
            jitter: false,
        },
        ..HttpConfig::default()
    };
    let client =
        StripeClient::with_config(&format!("{}/stripe", handle.base_url()), config).unwrap();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(create_customer(&client, n).await);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(state.count("customer"), 20);
    assert!(client.http_stats().retries > 0, "{:?}", client.http_stats());
    handle.shutdown().await.unwrap();
}

/// A stand-in server that answers every request with `body` and keeps the request headers.
async fn fake_stripe(body: &'static str) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let kept = kept.clone();
        async move {
            let mut kept = kept.lock().unwrap();
            for (name, value) in &headers {
                kept.push((name.to_string(), value.to_str().unwrap_or("").to_string()));
            }
            ([("content-type", "application/json")], body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn a_connection_sends_its_headers_and_answers_need_an_id() {
    let (base, seen) = fake_stripe(r#"{"object": "customer"}"#).await;
    let connection = ResolvedConnection {
        name: "stripe".into(),
        kind: &ferry::connectors::stripe::DESCRIPTOR,
        base_url: Some(url::Url::parse(&format!("{base}/")).unwrap()),
        auth: project::Auth::Bearer(project::Secret::new(KEY)),
        rate_limit: None,
        concurrency: Some(2),
        timeout: Some(Duration::from_secs(5)),
        settings: [
            ("api_version".to_string(), "2022-04-12".to_string()),
            ("account".to_string(), "acct_123".to_string()),
        ]
        .into_iter()
        .collect(),
        secrets: Default::default(),
        project_dir: None,
        shared_budget: None,
    };
    let client = StripeClient::new(&connection).unwrap();
    let error = client
        .create("customers", &write(json!({"email": "a@b.c"}), "k-1"))
        .await
        .unwrap_err();
    let ConnectorError::BadResponse { endpoint, reason } = &error else {
        panic!("expected a bad response, got {error:?}");
    };
    assert!(
        endpoint.starts_with("stripe: create customers (POST http://127.0.0.1:"),
        "{endpoint}"
    );
    assert!(reason.contains("`id`"), "{reason}");
    let seen = seen.lock().unwrap().clone();
    let header = |name: &str| seen.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(header("stripe-version").as_deref(), Some("2022-04-12"));
    assert_eq!(header("stripe-account").as_deref(), Some("acct_123"));
    assert_eq!(header("idempotency-key").as_deref(), Some("k-1"));
    assert_eq!(header("authorization"), Some(format!("Bearer {KEY}")));
}

#[tokio::test]
async fn unknown_collections_are_unsupported() {
    let stripe = start(quiet()).await;
    let client = client_for(&stripe).await;
    let error = client.get("salesOrders", "1").await.unwrap_err();
    assert!(matches!(error, ConnectorError::Unsupported(_)), "{error:?}");
    let error = client
        .poll("parties", None, &PollOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Unsupported(_)), "{error:?}");
}
