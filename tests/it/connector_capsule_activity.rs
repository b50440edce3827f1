//! Capsule's opportunities, kases and tasks through the client against the emulator: polled
//! with the party cursor (each record once, changes and deletions after), a party's records
//! for `fetch_all`, users for `fetch`, the emulator's refusals, and malformed answers as
//! errors naming the endpoint and the field.

use std::net::SocketAddr;

use ferry::connectors::capsule::CapsuleClient;
use ferry::connectors::{Client, ConnectorError, PollOptions, SourcePage};
use ferry::sandbox::capsule::{CapsuleConfig, CapsuleState, DEFAULT_TOKEN};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Value, json};

use crate::connector_capsule::poll_stream;

struct Capsule {
    handle: SandboxHandle,
    state: CapsuleState,
    client: CapsuleClient,
    base: String,
    http: reqwest::Client,
}

async fn start(seed: Option<u64>) -> Capsule {
    ferry::init_tls();
    let sandbox = Sandbox::builder()
        .seed(seed)
        .capsule(CapsuleConfig {
            people: 200,
            ..CapsuleConfig::default()
        })
        .build();
    let state = sandbox.capsule().unwrap().clone();
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("{}/capsule/api/v2", handle.base_url());
    let client = CapsuleClient::with_token(&base, DEFAULT_TOKEN).unwrap();
    Capsule {
        handle,
        state,
        client,
        base,
        http: reqwest::Client::new(),
    }
}

impl Capsule {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/{path}", self.base))
            .bearer_auth(DEFAULT_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn poll_all(
        &self,
        stream: &str,
        cursor: Option<String>,
        page_size: usize,
    ) -> (Vec<SourcePage>, Option<String>) {
        poll_stream(&self.client, stream, cursor, page_size).await
    }

    /// A person, with an email, for records to hang on.
    async fn person(&self, name: &str) -> u64 {
        let (status, body) = self
            .post(
                "parties",
                json!({"party": {"type": "person", "firstName": name,
                    "emailAddresses": [{"address": format!("{}@example.com", name.to_lowercase())}]}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["party"]["id"].as_u64().unwrap()
    }

    fn milestone(&self, name: &str) -> u64 {
        let data = self.state.data();
        data.milestones.iter().find(|m| m.name == name).unwrap().id
    }
}

fn ids(pages: &[SourcePage]) -> Vec<(String, bool)> {
    pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| (r.id.clone(), r.deleted))
        .collect()
}

#[tokio::test]
async fn seeded_opportunities_and_kases_come_once_each_then_only_what_changed() {
    let capsule = start(Some(7)).await;
    let (expected_opportunities, expected_kases) = {
        let data = capsule.state.data();
        (data.opportunities.len(), data.kases.len())
    };
    assert!(expected_opportunities >= 20 && expected_kases >= 3);
    let (pages, opportunities) = capsule.poll_all("opportunities", None, 7).await;
    let seen = ids(&pages);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (expected_opportunities, expected_opportunities)
    );
    let first = &pages[0].records[0].data;
    assert!(first["value"]["currency"].is_string() && first["tags"].is_array());
    // Polls embed custom fields and tags: parties' too.
    let (parties, _) = capsule.poll_all("parties", None, 100).await;
    let organisation = parties[0]
        .records
        .iter()
        .find(|r| r.data["type"] == "organisation");
    let fields = &organisation.unwrap().data["fields"];
    assert_eq!(
        fields[0]["definition"]["name"], "Account number",
        "{fields}"
    );
    assert!(parties[0].records.iter().all(|r| r.data["tags"].is_array()));
    let (pages, kases) = capsule.poll_all("kases", None, 100).await;
    assert_eq!(ids(&pages).len(), expected_kases);

    let party = capsule.person("Ada").await;
    let (status, created) = capsule
        .post(
            "opportunities",
            json!({"opportunity": {"party": {"id": party}, "name": "Licence",
                "milestone": {"id": capsule.milestone("New")},
                "value": {"amount": 1234.50, "currency": "AUD"}}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let opportunity = created["opportunity"]["id"].as_u64().unwrap();
    assert_eq!(
        created["opportunity"]["value"],
        json!({"amount": 1234.50, "currency": "AUD"})
    );
    let seeded = pages[0].records[0].id.clone();
    let (status, _) = capsule
        .send(reqwest::Method::DELETE, &format!("kases/{seeded}"), None)
        .await;
    assert_eq!(status, 204);

    let (pages, _) = capsule.poll_all("opportunities", opportunities, 100).await;
    assert_eq!(ids(&pages), [(opportunity.to_string(), false)]);
    let (pages, _) = capsule.poll_all("kases", kases, 100).await;
    assert_eq!(ids(&pages), [(seeded, true)]);
    capsule.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_completed_task_comes_back_though_tasks_have_no_since() {
    let capsule = start(None).await;
    let party = capsule.person("Grace").await;
    let (status, task) = capsule
        .post(
            "tasks",
            json!({"task": {"description": "Call", "dueOn": "2026-12-24", "party": {"id": party}}}),
        )
        .await;
    assert_eq!(status, 201, "{task}");
    let id = task["task"]["id"].as_u64().unwrap().to_string();
    let (pages, cursor) = capsule.poll_all("tasks", None, 100).await;
    assert_eq!(ids(&pages), [(id.clone(), false)]);
    // The same second may come back once (it is not over yet); then nothing.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, done) = capsule
        .put(
            &format!("tasks/{id}"),
            json!({"task": {"status": "COMPLETED"}}),
        )
        .await;
    assert_eq!(
        (status, done["task"]["status"].as_str()),
        (200, Some("COMPLETED"))
    );
    let (pages, _) = capsule.poll_all("tasks", cursor, 100).await;
    let records: Vec<&Value> = pages
        .iter()
        .flat_map(|p| &p.records)
        .map(|r| &r.data)
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], "COMPLETED");
    // `/tasks` alone lists open tasks only.
    let (_, open) = capsule.get("tasks").await;
    assert_eq!(open["tasks"], json!([]));
    capsule.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_partys_records_are_listed_for_fetch_all_and_users_are_read_by_id() {
    let capsule = start(None).await;
    let (ada, grace) = (capsule.person("Ada").await, capsule.person("Grace").await);
    for (party, name) in [(ada, "One"), (ada, "Two"), (grace, "Three")] {
        let (status, body) = capsule
            .post(
                "opportunities",
                json!({"opportunity": {"party": {"id": party}, "name": name,
                    "milestone": {"id": capsule.milestone("Proposal")}}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    capsule
        .post(
            "kases",
            json!({"kase": {"party": {"id": grace}, "name": "Setup"}}),
        )
        .await;
    capsule
        .post(
            "tasks",
            json!({"task": {"description": "Call", "dueOn": "2026-12-24", "party": {"id": ada}}}),
        )
        .await;
    let of = |party: u64| vec![("party".to_string(), party.to_string())];
    let names = |records: Vec<Value>| -> Vec<String> {
        records
            .iter()
            .map(|r| r["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let client = &capsule.client;
    assert_eq!(
        names(client.list_all("opportunities", &of(ada)).await.unwrap()),
        ["One", "Two"]
    );
    assert_eq!(
        names(client.list_all("kases", &of(grace)).await.unwrap()),
        ["Setup"]
    );
    assert_eq!(
        client.list_all("kases", &of(ada)).await.unwrap(),
        Vec::<Value>::new()
    );
    let tasks = client.list_all("tasks", &of(ada)).await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert!(
        client
            .list_all("tasks", &of(grace))
            .await
            .unwrap()
            .is_empty()
    );
    let refused = client
        .list_all("opportunities", &[("owner".into(), "1".into())])
        .await;
    assert!(
        matches!(refused, Err(ConnectorError::Unsupported(_))),
        "{refused:?}"
    );

    let owner = tasks[0]["owner"]["id"].as_u64().unwrap().to_string();
    let user = client.get("users", &owner).await.unwrap().unwrap();
    assert_eq!(user.data["emailAddress"], "ada@sandbox.capsulecrm.example");
    assert!(client.get("users", "1").await.unwrap().is_none());
    capsule.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_emulator_refuses_what_capsule_refuses() {
    let capsule = start(None).await;
    let ada = capsule.person("Ada").await;
    let won = capsule.milestone("Won");
    let lost = capsule.milestone("Lost");
    let refusals = [
        (
            "opportunities",
            json!({"opportunity": {"name": "No party", "milestone": {"id": won}}}),
            "party",
        ),
        (
            "opportunities",
            json!({"opportunity": {"party": {"id": ada}, "name": "x"}}),
            "milestone",
        ),
        (
            "opportunities",
            json!({"opportunity": {"party": {"id": 1}, "name": "x", "milestone": {"id": won}}}),
            "party",
        ),
        (
            "opportunities",
            json!({"opportunity": {"party": {"id": ada}, "name": "x", "milestone": {"id": won},
            "value": {"amount": "12", "currency": "AUD"}}}),
            "value",
        ),
        (
            "opportunities",
            json!({"opportunity": {"party": {"id": ada}, "name": "x", "milestone": {"id": won},
            "value": {"amount": 12, "currency": "dollars"}}}),
            "value",
        ),
        (
            "opportunities",
            json!({"opportunity": {"party": {"id": ada}, "name": "x", "milestone": {"id": won},
            "lostReason": {"id": capsule.state.data().lost_reasons[0].id}}}),
            "lostReason",
        ),
        (
            "kases",
            json!({"kase": {"party": {"id": ada}, "name": "x", "status": "DONE"}}),
            "status",
        ),
        ("kases", json!({"kase": {"party": {"id": ada}}}), "name"),
        ("tasks", json!({"task": {"description": "x"}}), "dueOn"),
        (
            "tasks",
            json!({"task": {"description": "x", "dueOn": "24/12/2026"}}),
            "dueOn",
        ),
        (
            "tasks",
            json!({"task": {"description": "x", "dueOn": "2026-12-24", "status": "PENDING"}}),
            "status",
        ),
    ];
    for (path, body, field) in refusals {
        let (status, answer) = capsule.post(path, body.clone()).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{body} -> {answer}");
    }
    let (status, _) = capsule.post("tasks", json!({"description": "x"})).await;
    assert_eq!(status, 400);
    let (status, _) = capsule.get("opportunities?embed=owner").await;
    assert_eq!(status, 400);
    let (status, _) = capsule.get("tasks?status=done").await;
    assert_eq!(status, 400);
    let (status, _) = capsule.get("opportunities?perPage=101").await;
    assert_eq!(status, 400);
    let (status, _) = capsule.get("parties/1/opportunities").await;
    assert_eq!(status, 404);

    // Closing at a lost milestone dates it and takes a reason; reopening clears both.
    let (_, created) = capsule
        .post(
            "opportunities",
            json!({"opportunity": {"party": {"id": ada}, "name": "Deal", "milestone": {"id": won}}}),
        )
        .await;
    let id = created["opportunity"]["id"].as_u64().unwrap();
    assert!(created["opportunity"]["closedOn"].is_string());
    let reason = capsule.state.data().lost_reasons[1].id;
    let (status, lost_one) = capsule
        .put(
            &format!("opportunities/{id}"),
            json!({"opportunity": {"milestone": {"id": lost}, "lostReason": {"id": reason}}}),
        )
        .await;
    assert_eq!(status, 200, "{lost_one}");
    assert_eq!(lost_one["opportunity"]["lostReason"]["name"], "Timing");
    let (_, reopened) = capsule
        .put(
            &format!("opportunities/{id}"),
            json!({"opportunity": {"milestone": {"id": capsule.milestone("New")}}}),
        )
        .await;
    assert_eq!(
        (
            &reopened["opportunity"]["closedOn"],
            &reopened["opportunity"]["lostReason"]
        ),
        (&Value::Null, &Value::Null)
    );
    let (_, definitions) = capsule.get("opportunities/fields/definitions").await;
    assert_eq!(definitions["definitions"][0]["name"], "Lead source");
    capsule.handle.shutdown().await.unwrap();
}

/// A server that answers every request with `status` and `body` as JSON (or as given).
async fn answering(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            [(axum::http::header::CONTENT_TYPE, content_type)],
            body,
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, task)
}

#[tokio::test]
async fn malformed_answers_name_the_endpoint_and_the_field() {
    ferry::init_tls();
    let json = "application/json";
    let cases = [
        (
            200,
            "text/html",
            "<html><body>Maintenance</body></html>",
            "opportunities",
        ),
        (
            200,
            json,
            r#"{"opportunities": [{"id": 1, "updatedAt": "2026-"#,
            "opportunities",
        ),
        (
            200,
            json,
            r#"{"message": "something went wrong"}"#,
            "`opportunities`",
        ),
        (
            200,
            json,
            r#"{"opportunities": [{"name": "no id"}]}"#,
            "`id`",
        ),
    ];
    for (status, content_type, body, expected) in cases {
        let (base, task) = answering(status, content_type, body).await;
        let client = CapsuleClient::with_token(&base, "t").unwrap();
        let error = client
            .poll("opportunities", None, &PollOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{body}: {error}");
        task.abort();
    }
    // A record with an id but a bad field is dead-lettered, naming it; the rest goes on.
    let app = axum::Router::new()
        .route(
            "/opportunities",
            axum::routing::get(|| async {
                axum::Json(json!({"opportunities": [
                    {"id": 1, "updatedAt": "2026-01-01T00:00:00Z", "value": {"amount": "lots", "currency": "AUD"}},
                    {"id": 2, "updatedAt": "2026-01-01T00:00:01Z", "value": {"amount": 10.5, "currency": "AUD"}},
                    {"id": 3, "updatedAt": "yesterday"},
                ]}))
            }),
        )
        .route(
            "/opportunities/deleted",
            axum::routing::get(|| async { axum::Json(json!({"opportunities": []})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = CapsuleClient::with_token(&base, "t").unwrap();
    let page = client
        .poll("opportunities", None, &PollOptions::default())
        .await
        .unwrap();
    let handed: Vec<&str> = page.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(handed, ["2"]);
    let rejected: Vec<(&str, &str)> = page
        .rejected
        .iter()
        .map(|r| (r.id.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (
                "1",
                "capsule opportunities: `value.amount` is missing or malformed"
            ),
            (
                "3",
                "capsule opportunities: `updatedAt` is missing or malformed"
            ),
        ]
    );
    // The cursor stands at the last record handed out.
    assert!(page.cursor.unwrap().contains("2026-01-01T00:00:01Z"));
    task.abort();
}

#[tokio::test]
async fn rest_hooks_are_subscribed_within_capsules_rules() {
    let capsule = start(None).await;
    let hook = |event: &str, url: &str| json!({"restHook": {"event": event, "targetUrl": url}});
    let refused = [
        (hook("invoice/paid", "https://example.com/h"), "event"),
        (hook("party/created", "ftp://example.com/h"), "targetUrl"),
    ];
    for (body, field) in refused {
        let (status, answer) = capsule.post("resthooks", body).await;
        assert_eq!(
            (status, &answer["errors"][0]["field"]),
            (422, &json!(field))
        );
    }
    for n in 0..20 {
        let (status, _) = capsule
            .post(
                "resthooks",
                hook("kase/closed", &format!("https://example.com/{n}")),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (status, answer) = capsule
        .post("resthooks", hook("kase/closed", "https://example.com/21"))
        .await;
    assert_eq!(status, 422, "{answer}");
    let (_, listed) = capsule.get("resthooks").await;
    let first = listed["restHooks"][0]["id"].as_u64().unwrap();
    assert_eq!(listed["restHooks"].as_array().unwrap().len(), 20);
    let (status, _) = capsule
        .send(reqwest::Method::DELETE, &format!("resthooks/{first}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = capsule.get(&format!("resthooks/{first}")).await;
    assert_eq!(status, 404);
    capsule.handle.shutdown().await.unwrap();
}
