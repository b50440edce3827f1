//! The Capsule emulator against Capsule's wire rules: Link paging, since cursors, 422
//! validation, the rate limit and deleted parties.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use ferry::sandbox::capsule::{CapsuleConfig, DEFAULT_TOKEN};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

async fn start(
    seed: Option<u64>,
    config: CapsuleConfig,
) -> (SandboxHandle, reqwest::Client, String) {
    ferry::init_tls();
    let handle = Sandbox::builder()
        .seed(seed)
        .capsule(config)
        .build()
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("{}/capsule/api/v2", handle.base_url());
    (handle, reqwest::Client::new(), base)
}

fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let (url, rel) = link.split_once(';')?;
    (rel.trim() == "rel=\"next\"").then(|| {
        url.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string()
    })
}

async fn all_parties(client: &reqwest::Client, first: String) -> (Vec<Value>, usize) {
    let (mut parties, mut pages, mut url) = (Vec::new(), 0, Some(first));
    while let Some(current) = url {
        let response = client
            .get(&current)
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{current}");
        url = next_link(&response);
        let body: Value = response.json().await.unwrap();
        parties.extend(body["parties"].as_array().unwrap().iter().cloned());
        pages += 1;
    }
    (parties, pages)
}

async fn create(client: &reqwest::Client, base: &str, party: Value) -> reqwest::Response {
    client
        .post(format!("{base}/parties"))
        .bearer_auth(DEFAULT_TOKEN)
        .json(&json!({"party": party}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn link_paging_returns_every_party_exactly_once_in_cursor_order() {
    let (handle, client, base) = start(Some(7), CapsuleConfig::default()).await;
    let (parties, pages) = all_parties(
        &client,
        format!("{base}/parties?perPage=100&embed=tags,fields"),
    )
    .await;
    assert_eq!(parties.len(), 2_500);
    assert_eq!(pages, 25);
    let ids: HashSet<u64> = parties.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 2_500);
    let keys: Vec<(String, u64)> = parties
        .iter()
        .map(|p| {
            (
                p["updatedAt"].as_str().unwrap().to_string(),
                p["id"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by updatedAt then id");
    let person = parties.iter().find(|p| p["type"] == "person").unwrap();
    assert!(person["firstName"].is_string() && person["emailAddresses"][0]["address"].is_string());
    assert!(person["owner"]["username"].is_string());
    assert!(person["tags"].is_array() && person["fields"].is_array());
    let organisation = parties
        .iter()
        .find(|p| p["type"] == "organisation")
        .unwrap();
    assert!(organisation["name"].is_string() && organisation.get("firstName").is_none());
    // The default page is 50.
    let first = client
        .get(format!("{base}/parties"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    let link = next_link(&first).unwrap();
    assert!(link.contains("page=2"), "{link}");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["parties"].as_array().unwrap().len(), 50);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_same_seed_gives_the_same_parties() {
    let (a, client, base_a) = start(Some(3), CapsuleConfig::default()).await;
    let (b, _, base_b) = start(Some(3), CapsuleConfig::default()).await;
    let page_a: Value = client
        .get(format!("{base_a}/parties?perPage=100&page=4"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page_b: Value = client
        .get(format!("{base_b}/parties?perPage=100&page=4"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page_a, page_b);
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}

#[tokio::test]
async fn since_returns_only_parties_changed_at_or_after_the_cursor() {
    let (handle, client, base) = start(Some(11), CapsuleConfig::default()).await;
    let (seeded, _) = all_parties(&client, format!("{base}/parties?perPage=100")).await;
    let cutoff = seeded[1_800]["updatedAt"].as_str().unwrap().to_string();
    let expected = seeded
        .iter()
        .filter(|p| p["updatedAt"].as_str().unwrap() >= cutoff.as_str())
        .count();
    let (newer, _) = all_parties(
        &client,
        format!("{base}/parties?perPage=100&since={cutoff}"),
    )
    .await;
    assert_eq!(newer.len(), expected);
    assert!(
        newer
            .iter()
            .all(|p| p["updatedAt"].as_str().unwrap() >= cutoff.as_str())
    );

    // Everything seeded is from 2025; a party written now is the only one after it.
    let created = create(
        &client,
        &base,
        json!({"type": "person", "firstName": "Ada", "lastName": "Byron"}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["party"]["id"]
        .as_u64()
        .unwrap();
    let (fresh, _) = all_parties(
        &client,
        format!("{base}/parties?since=2026-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(
        fresh
            .iter()
            .map(|p| p["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![id]
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn create_update_and_read_back_a_party() {
    let (handle, client, base) = start(None, CapsuleConfig::default()).await;
    let org = create(
        &client,
        &base,
        json!({"type": "organisation", "name": "Northwind Traders"}),
    )
    .await;
    assert_eq!(org.status(), 201);
    let org: Value = org.json().await.unwrap();
    let org_id = org["party"]["id"].as_u64().unwrap();
    let response = create(
        &client,
        &base,
        json!({
            "type": "person", "firstName": "Grace", "lastName": "Hopper", "jobTitle": "CFO",
            "organisation": {"id": org_id},
            "emailAddresses": [{"type": "Work", "address": "grace@northwind.example"}],
            "tags": [{"name": "Stripe"}],
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let person: Value = response.json().await.unwrap();
    let id = person["party"]["id"].as_u64().unwrap();
    assert_eq!(location, format!("{base}/parties/{id}"));
    assert_eq!(person["party"]["organisation"]["name"], "Northwind Traders");

    let email_id = person["party"]["emailAddresses"][0]["id"].as_u64().unwrap();
    let updated = client
        .put(format!("{base}/parties/{id}"))
        .bearer_auth(DEFAULT_TOKEN)
        .json(&json!({"party": {"jobTitle": "CEO", "emailAddresses": [
            {"id": email_id, "_delete": true}, {"address": "grace@hopper.example"}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let fetched: Value = client
        .get(format!("{location}?embed=tags,organisation"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let party = &fetched["party"];
    assert_eq!(party["jobTitle"], "CEO");
    let emails: Vec<&str> = party["emailAddresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["address"].as_str().unwrap())
        .collect();
    assert_eq!(emails, vec!["grace@hopper.example"]);
    assert_eq!(party["tags"][0]["name"], "Stripe");
    assert_eq!(party["organisation"]["type"], "organisation");
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn invalid_parties_are_refused_with_422_and_field_errors() {
    let (handle, client, base) = start(None, CapsuleConfig::default()).await;
    let cases = [
        (
            json!({"type": "person", "jobTitle": "Buyer"}),
            "party",
            "firstName",
        ),
        (json!({"type": "organisation"}), "party", "name"),
        (
            json!({"type": "person", "firstName": "A", "emailAddresses": [{"address": "not-an-email"}]}),
            "emailAddress",
            "address",
        ),
        (json!({"type": "robot", "name": "R2"}), "party", "type"),
        (
            json!({"type": "person", "lastName": "B", "organisation": {"id": 1}}),
            "party",
            "organisation",
        ),
    ];
    for (party, resource, field) in cases {
        let response = create(&client, &base, party.clone()).await;
        assert_eq!(response.status(), 422, "{party}");
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].is_string());
        assert_eq!(body["errors"][0]["resource"], resource, "{party}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{party}: {body}");
    }
    let list: Value = client
        .get(format!("{base}/parties"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["parties"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    let bad_page = client
        .get(format!("{base}/parties?perPage=101"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_page.status(), 400);
    let bad_since = client
        .get(format!("{base}/parties?since=yesterday"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_since.status(), 400);
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn requests_past_the_limit_get_429_with_rate_limit_headers() {
    let config = CapsuleConfig {
        rate_limit: 3,
        rate_window: Duration::from_secs(3_600),
        ..CapsuleConfig::default()
    };
    let (handle, client, base) = start(None, config).await;
    let unauthenticated = client.get(format!("{base}/parties")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let wrong = client
        .get(format!("{base}/parties"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    for remaining in [2, 1, 0] {
        let response = client
            .get(format!("{base}/parties"))
            .bearer_auth(DEFAULT_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-ratelimit-limit"], "3");
        assert_eq!(
            response.headers()["x-ratelimit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let refused = client
        .get(format!("{base}/parties"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = refused.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset > now && reset <= now + 3_601, "{reset} vs {now}");
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"error": "rate limit reached"})
    );
    handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn deleted_parties_are_listed_with_their_deletion_time() {
    let (handle, client, base) = start(None, CapsuleConfig::default()).await;
    let created: Value = create(
        &client,
        &base,
        json!({"type": "organisation", "name": "Gone Ltd"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = created["party"]["id"].as_u64().unwrap();
    let deleted = client
        .delete(format!("{base}/parties/{id}"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let missing = client
        .get(format!("{base}/parties/{id}"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let again = client
        .delete(format!("{base}/parties/{id}"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let list: Value = client
        .get(format!("{base}/parties/deleted?since=2020-01-01T00:00:00Z"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parties = list["parties"].as_array().unwrap();
    assert_eq!(parties.len(), 1);
    assert_eq!(parties[0]["id"].as_u64(), Some(id));
    assert!(parties[0]["deletedAt"].as_str().unwrap().ends_with('Z'));
    let later: Value = client
        .get(format!("{base}/parties/deleted?since=2999-01-01T00:00:00Z"))
        .bearer_auth(DEFAULT_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(later["parties"].as_array().unwrap().len(), 0);
    handle.shutdown().await.unwrap();
}

#[test]
fn a_seeded_account_has_the_configured_number_of_people() {
    use ferry::sandbox::capsule::CapsuleState;
    use ferry::sandbox::capsule::party::PartyKind;
    let count = |state: &CapsuleState, kind: PartyKind| {
        state
            .data()
            .parties
            .values()
            .filter(|p| p.kind == kind)
            .count()
    };
    let default = CapsuleState::seeded(CapsuleConfig::default(), 5);
    assert_eq!(count(&default, PartyKind::Person), 2_000);
    assert_eq!(count(&default, PartyKind::Organisation), 500);

    let config = CapsuleConfig {
        people: 3_500,
        ..CapsuleConfig::default()
    };
    let larger = CapsuleState::seeded(config, 5);
    assert_eq!(count(&larger, PartyKind::Person), 3_500);
    assert_eq!(count(&larger, PartyKind::Organisation), 500);
    // More people extend the default account: its parties come first, unchanged.
    let (small, large) = (default.data(), larger.data());
    assert!(
        small
            .parties
            .values()
            .zip(large.parties.values())
            .all(|(a, b)| a == b)
    );
    let emails = large
        .parties
        .values()
        .filter(|p| p.kind == PartyKind::Person && !p.email_addresses.is_empty())
        .count();
    assert_eq!(emails, 3_500);
}
