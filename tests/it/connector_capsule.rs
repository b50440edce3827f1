//! The Capsule client against the Capsule emulator on a loopback port: polling with cursors,
//! deleted parties, reads and writes, and validation errors.

use std::collections::HashMap;
use std::net::SocketAddr;

use ferry::connectors::capsule::CapsuleClient;
use ferry::connectors::{Client, ConnectorError, MatchKey, PollOptions, SourcePage, Write};
use ferry::sandbox::capsule::{CapsuleConfig, DEFAULT_TOKEN};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

async fn start(seed: Option<u64>) -> (SandboxHandle, CapsuleClient) {
    ferry::init_tls();
    let handle = Sandbox::builder()
        .seed(seed)
        .capsule(CapsuleConfig::default())
        .build()
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("{}/capsule/api/v2", handle.base_url());
    let client = CapsuleClient::with_token(&base, DEFAULT_TOKEN).unwrap();
    (handle, client)
}

fn options(page_size: usize) -> PollOptions {
    PollOptions {
        page_size,
        ..PollOptions::default()
    }
}

fn write(fields: Value) -> Write {
    Write {
        fields,
        idempotency_key: "k".into(),
    }
}

/// Polls the parties until `more` is false; returns every page and the last cursor.
async fn poll_all(
    client: &CapsuleClient,
    cursor: Option<String>,
    page_size: usize,
) -> (Vec<SourcePage>, Option<String>) {
    poll_stream(client, "parties", cursor, page_size).await
}

/// Polls `stream` until `more` is false; returns every page and the last cursor.
pub async fn poll_stream(
    client: &CapsuleClient,
    stream: &str,
    mut cursor: Option<String>,
    page_size: usize,
) -> (Vec<SourcePage>, Option<String>) {
    let mut pages = Vec::new();
    loop {
        let page = client
            .poll(stream, cursor.as_deref(), &options(page_size))
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

fn counts(pages: &[SourcePage]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for record in pages.iter().flat_map(|p| &p.records) {
        *counts.entry(record.id.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn polling_a_seeded_account_returns_every_party_exactly_once_oldest_first() {
    let (handle, client) = start(Some(7)).await;
    let (pages, _) = poll_all(&client, None, 100).await;
    assert!(pages.len() >= 25);
    let counts = counts(&pages);
    assert_eq!(counts.len(), 2_500);
    assert!(counts.values().all(|n| *n == 1), "a party came back twice");
    let times: Vec<String> = pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| r.data["updatedAt"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    assert!(pages.iter().flat_map(|p| &p.records).all(|r| !r.deleted));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn small_pages_through_a_crowded_second_return_every_party_exactly_once() {
    // The seed puts the last hundred or so parties in 2025's last second.
    let (handle, client) = start(Some(7)).await;
    let (pages, cursor) = poll_all(&client, None, 30).await;
    let counts = counts(&pages);
    assert_eq!(counts.len(), 2_500);
    assert!(counts.values().all(|n| *n == 1), "a party came back twice");
    let (pages, _) = poll_all(&client, cursor, 30).await;
    assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), 0);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_crowded_second_still_open_is_waited_out_and_read_to_its_end() {
    // A bulk import: more than a page of parties written within the last second or two.
    let (handle, client) = start(None).await;
    for n in 0..25 {
        client
            .create(
                "parties",
                &write(json!({"type": "organisation", "name": format!("Org {n}")})),
            )
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let (pages, cursor) = poll_all(&client, None, 10).await;
    let counts = counts(&pages);
    assert_eq!(counts.len(), 25, "the run stopped short of the end");
    // The open second's first page may come back once more after the wait (a repeat writes
    // nothing); no party comes back a third time.
    assert!(counts.values().all(|n| *n <= 2), "{counts:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let (pages, _) = poll_all(&client, cursor, 10).await;
    assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), 0);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn parties_changed_in_an_open_second_come_back_on_the_next_poll() {
    let (handle, client) = start(None).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let created = client
            .create(
                "parties",
                &write(json!({"type": "organisation", "name": format!("Org {n}")})),
            )
            .await
            .unwrap();
        ids.push(created.id);
    }
    let (pages, cursor) = poll_all(&client, None, 100).await;
    let seen: Vec<&str> = pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(seen, ids.iter().map(String::as_str).collect::<Vec<_>>());
    // Changed within the same second as the poll, maybe: it must still come back.
    let current = client.get("parties", &ids[1]).await.unwrap().unwrap();
    client
        .update("parties", &current, &write(json!({"name": "Renamed"})))
        .await
        .unwrap();
    let (pages, _) = poll_all(&client, cursor, 100).await;
    let renamed = pages
        .iter()
        .flat_map(|p| &p.records)
        .rfind(|r| r.id == ids[1])
        .unwrap();
    assert_eq!(renamed.data["name"], "Renamed");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_party_updated_after_a_seeded_poll_comes_back() {
    let (handle, client) = start(Some(11)).await;
    let (_, cursor) = poll_all(&client, None, 100).await;
    let (pages, cursor) = poll_all(&client, cursor, 100).await;
    assert_eq!(pages.iter().map(|p| p.records.len()).sum::<usize>(), 0);
    let (first, _) = poll_all(&client, None, 100).await;
    let id = first[3].records[7].id.clone();
    let current = client.get("parties", &id).await.unwrap().unwrap();
    let updated = client
        .update("parties", &current, &write(json!({"about": "changed"})))
        .await
        .unwrap();
    assert_eq!(updated.data["about"], "changed");
    let (pages, _) = poll_all(&client, cursor, 100).await;
    let records: Vec<_> = pages.iter().flat_map(|p| &p.records).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, current.id);
    assert_eq!(records[0].data["about"], "changed");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn deleted_parties_come_back_marked_deleted() {
    let (handle, client) = start(Some(5)).await;
    let (first, cursor) = poll_all(&client, None, 100).await;
    let gone = [
        first[2].records[5].id.clone(),
        first[9].records[0].id.clone(),
    ];
    let base = format!("{}/capsule/api/v2", handle.base_url());
    let http = reqwest::Client::new();
    for id in &gone {
        let response = http
            .delete(format!("{base}/parties/{id}"))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let (pages, _) = poll_all(&client, cursor, 100).await;
    let deleted: Vec<(&str, bool)> = pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| (r.id.as_str(), r.deleted))
        .collect();
    assert_eq!(
        deleted,
        vec![(gone[0].as_str(), true), (gone[1].as_str(), true)]
    );
    assert!(client.get("parties", &gone[0]).await.unwrap().is_none());
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_get_and_update_a_party() {
    let (handle, client) = start(None).await;
    let created = client
        .create(
            "parties",
            &write(json!({
                "type": "person",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "emailAddresses": [{"type": "Work", "address": "ada@example.com"}],
            })),
        )
        .await
        .unwrap();
    assert_eq!(created.data["firstName"], "Ada");
    assert_eq!(created.etag, None);
    let read = client.get("parties", &created.id).await.unwrap().unwrap();
    assert_eq!(read.id, created.id);
    assert_eq!(read.data["emailAddresses"][0]["address"], "ada@example.com");
    let updated = client
        .update("parties", &read, &write(json!({"jobTitle": "Analyst"})))
        .await
        .unwrap();
    assert_eq!(updated.data["jobTitle"], "Analyst");
    assert_eq!(updated.data["lastName"], "Lovelace");
    let key = MatchKey {
        path: "id".into(),
        value: json!(created.id.parse::<u64>().unwrap()),
    };
    let found = client.find("parties", &[key]).await.unwrap().unwrap();
    assert_eq!(found.data["jobTitle"], "Analyst");
    assert!(client.get("parties", "999999").await.unwrap().is_none());
    let by_email = MatchKey {
        path: "emailAddresses.address".into(),
        value: json!("ada@example.com"),
    };
    assert!(matches!(
        client.find("parties", &[by_email]).await,
        Err(ConnectorError::Unsupported(_))
    ));
    // Opportunities are read, not written; an unknown collection is refused.
    assert!(matches!(client.get("opportunities", "1").await, Ok(None)));
    assert!(matches!(
        client.create("opportunities", &write(json!({}))).await,
        Err(ConnectorError::Unsupported(_))
    ));
    assert!(matches!(
        client.get("invoices", "1").await,
        Err(ConnectorError::Unsupported(_))
    ));
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_validation_failure_is_an_api_error_naming_the_field() {
    let (handle, client) = start(None).await;
    let error = client
        .create("parties", &write(json!({"type": "organisation"})))
        .await
        .unwrap_err();
    match &error {
        ConnectorError::Api {
            status,
            param,
            message,
            ..
        } => {
            assert_eq!(*status, 422);
            assert_eq!(param.as_deref(), Some("name"));
            assert_eq!(message, "validation failed: name is required");
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(error.is_permanent());
    handle.shutdown().await.unwrap();
}
