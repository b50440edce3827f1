//! `ferry serve` receiving Capsule's REST hooks: the path token guards the endpoint, a delivery
//! of two people is two inbox events and two Stripe customers, a redelivery has no second
//! effect, an event type no pipeline reads is acknowledged without being stored, and
//! opportunity, kase and task hooks feed the activity pipelines into the customer's metadata.

use crate::run_support;

use run_support::serve::{serve_project, wait_done};
use run_support::*;
use serde_json::{Value, json};

/// The path token of the REST hook endpoint that [`with_capsule_hook`] sets up.
pub const TOKEN: &str = "capsule-hook-token";

/// Gives the Capsule connection of the project at `project` a REST hook endpoint (its
/// `webhook_token`, [`TOKEN`]).
pub fn with_capsule_hook(project: &std::path::Path) {
    let yaml = std::fs::read_to_string(project).unwrap().replace(
        "token: capsule-sandbox-token\n",
        &format!("token: capsule-sandbox-token\n    webhook_token: {TOKEN}\n"),
    );
    std::fs::write(project, yaml).unwrap();
}

/// Posts a REST hook delivery to `ferry serve` at `base` under `token`; the status and the
/// JSON answer.
pub async fn post(base: &str, token: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/webhooks/capsule/capsule/{token}"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The people of the Capsule emulator, as its API returns them.
pub async fn parties(world: &World) -> Vec<Value> {
    let page: Value = reqwest::Client::new()
        .get(format!("{}/capsule/api/v2/parties", world.base))
        .bearer_auth("capsule-sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["parties"].as_array().unwrap().clone()
}

/// The inbox event of `party` for `event`, as the endpoint names it.
fn event_id(event: &str, party: &Value) -> String {
    let updated: jiff::Timestamp = party["updatedAt"].as_str().unwrap().parse().unwrap();
    format!("{event}:{}:{}", party["id"], updated.as_millisecond())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capsule_delivery_becomes_one_event_per_party() {
    let world = world(None, None).await;
    world.add_people(0..2);
    let project = world.project(1000);
    with_capsule_hook(&project);
    let (handle, store) = serve_project(&project, 1, &[CAPSULE_TO_STRIPE]).await;
    let base = format!("http://{}", handle.local_addr);
    let people = parties(&world).await;
    assert_eq!(people.len(), 2);
    let delivery = json!({"event": "party/created", "payload": people});

    let (status, answer) = post(&base, "capsule-hook-tokem", &delivery).await;
    assert_eq!(
        (status, answer),
        (
            404,
            json!({"error": {"code": "no_endpoint", "message": "no such endpoint"}})
        )
    );
    let ids: Vec<String> = people
        .iter()
        .map(|p| event_id("party/created", p))
        .collect();
    for id in &ids {
        assert!(store.inbox_event("capsule", id).await.unwrap().is_none());
    }

    for _ in 0..2 {
        let (status, answer) = post(&base, TOKEN, &delivery).await;
        assert_eq!((status, answer), (200, json!({"received": true})));
    }
    for id in &ids {
        wait_done(&store, "capsule", id).await;
    }
    let mut emails: Vec<String> = world
        .customers()
        .await
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect();
    emails.sort();
    assert_eq!(emails, ["person0@example.com", "person1@example.com"]);

    let other = json!({"event": "kase/updated", "payload": [{"id": 5}]});
    let (status, answer) = post(&base, TOKEN, &other).await;
    assert_eq!(
        (status, answer),
        (200, json!({"received": true, "handled": false}))
    );
    let (status, answer) = post(&base, TOKEN, &json!({"payload": []})).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("not_a_hook"))
    );
    handle.shutdown().await;
}

/// A customer deleted in Stripe behind ferry's back is made again by the next event of its
/// person. The new create needs an idempotency key of its own: with the first create's key,
/// Stripe would replay that create's answer, the deleted customer.
#[tokio::test(flavor = "multi_thread")]
async fn a_customer_deleted_in_stripe_is_made_again_by_the_next_event() {
    let world = world(None, None).await;
    world.add_people(0..1);
    let project = world.project(1000);
    with_capsule_hook(&project);
    let (handle, store) = serve_project(&project, 1, &[CAPSULE_TO_STRIPE]).await;
    let base = format!("http://{}", handle.local_addr);

    let people = parties(&world).await;
    let created = json!({"event": "party/created", "payload": people});
    assert_eq!(post(&base, TOKEN, &created).await.0, 200);
    wait_done(&store, "capsule", &event_id("party/created", &people[0])).await;
    let first = world.customers().await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    world.stripe_delete(&format!("/v1/customers/{first}")).await;

    // A change the pipeline does not map: the new create sends what the first one sent.
    world.edit_person(0, |party| party.about = Some("moved teams".into()));
    let people = parties(&world).await;
    let updated = json!({"event": "party/updated", "payload": people});
    assert_eq!(post(&base, TOKEN, &updated).await.0, 200);
    wait_done(&store, "capsule", &event_id("party/updated", &people[0])).await;

    let live: Vec<Value> = world
        .customers()
        .await
        .into_iter()
        .filter(|c| c["deleted"] != json!(true))
        .collect();
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_ne!(live[0]["id"].as_str().unwrap(), first);
    assert_eq!(live[0]["name"], "Person 0");
    let linked = store
        .target_id("stripe.customers", &people[0]["id"].to_string())
        .await
        .unwrap();
    assert_eq!(linked.as_deref(), live[0]["id"].as_str());
    handle.shutdown().await;
}

/// Writes to the Capsule emulator; the record written.
pub async fn capsule_post(world: &World, path: &str, key: &str, body: Value) -> Value {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/capsule/api/v2/{path}", world.base))
        .bearer_auth("capsule-sandbox-token")
        .json(&json!({ key: body }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer[key].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn opportunity_kase_and_task_hooks_reach_the_customers_metadata() {
    let world = world(None, None).await;
    world.add_people(0..1);
    let project = world.project(1000);
    with_capsule_hook(&project);
    let activity = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/capsule_contacts_to_stripe_activity.ferry"
    );
    let (handle, store) = serve_project(&project, 1, &[CAPSULE_TO_STRIPE, activity]).await;
    let base = format!("http://{}", handle.local_addr);
    let people = parties(&world).await;
    let created = json!({"event": "party/created", "payload": people});
    assert_eq!(post(&base, TOKEN, &created).await.0, 200);
    wait_done(&store, "capsule", &event_id("party/created", &people[0])).await;

    let milestone = world.capsule.data().milestones[1].id;
    let party = json!({"id": people[0]["id"]});
    let opportunity = capsule_post(&world, "opportunities", "opportunity", json!({"party": party,
        "name": "Licence", "milestone": {"id": milestone}, "value": {"amount": 99, "currency": "NZD"}})).await;
    let kase = capsule_post(
        &world,
        "kases",
        "kase",
        json!({"party": party, "name": "Setup"}),
    )
    .await;
    let task = capsule_post(
        &world,
        "tasks",
        "task",
        json!({"party": party, "description": "Call",
        "dueOn": "2026-12-24"}),
    )
    .await;
    for (event, record) in [
        ("opportunity/created", &opportunity),
        ("kase/created", &kase),
        ("task/created", &task),
    ] {
        let delivery = json!({"event": event, "payload": [record]});
        let (status, answer) = post(&base, TOKEN, &delivery).await;
        assert_eq!(
            (status, answer),
            (200, json!({"received": true})),
            "{event}"
        );
        wait_done(&store, "capsule", &event_id(event, record)).await;
    }
    let customers = world.customers().await;
    let metadata = &customers[0]["metadata"];
    assert_eq!(
        (
            &metadata["capsule_open_opportunities"],
            &metadata["capsule_open_value"],
            &metadata["capsule_open_cases"],
            &metadata["capsule_next_task"],
        ),
        (
            &json!("1"),
            &json!("NZD 99.00"),
            &json!("1"),
            &json!("Call")
        )
    );
    let unknown = json!({"event": "user/updated", "payload": [{"id": 5}]});
    assert_eq!(
        post(&base, TOKEN, &unknown).await,
        (200, json!({"received": true, "handled": false}))
    );
    handle.shutdown().await;
}

/// Waits until the one Stripe customer's metadata has `key` = `value`.
async fn wait_metadata(world: &World, key: &str, value: &str) {
    for _ in 0..200 {
        let customers = world.customers().await;
        if customers
            .first()
            .is_some_and(|c| c["metadata"][key] == value)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{key} never became {value}: {:#?}", world.customers().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_subscribed_in_capsule_are_delivered_to_ferry_serve_as_records_change() {
    let world = world(None, None).await;
    let project = world.project(1000);
    with_capsule_hook(&project);
    let activity = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/capsule_contacts_to_stripe_activity.ferry"
    );
    let (handle, _store) = serve_project(&project, 1, &[CAPSULE_TO_STRIPE, activity]).await;
    let target = format!(
        "http://{}/webhooks/capsule/capsule/{TOKEN}",
        handle.local_addr
    );
    for event in [
        "party/created",
        "opportunity/created",
        "opportunity/closed",
        "task/created",
    ] {
        let hook = capsule_post(
            &world,
            "resthooks",
            "restHook",
            json!({"event": event, "targetUrl": target}),
        )
        .await;
        assert_eq!(hook["event"], event);
    }

    let person = capsule_post(
        &world,
        "parties",
        "party",
        json!({"type": "person", "firstName": "Ada",
        "emailAddresses": [{"address": "ada@example.com"}]}),
    )
    .await;
    wait_metadata(&world, "capsule_id", &person["id"].to_string()).await;
    let party = json!({"id": person["id"]});
    let milestones: Vec<u64> = world
        .capsule
        .data()
        .milestones
        .iter()
        .map(|m| m.id)
        .collect();
    let deal = capsule_post(&world, "opportunities", "opportunity", json!({"party": party,
        "name": "Licence", "milestone": {"id": milestones[1]}, "value": {"amount": 10, "currency": "GBP"}})).await;
    wait_metadata(&world, "capsule_open_value", "GBP 10.00").await;

    // Won: opportunity/updated (not subscribed) and opportunity/closed (subscribed).
    let won = reqwest::Client::new()
        .put(format!(
            "{}/capsule/api/v2/opportunities/{}",
            world.base, deal["id"]
        ))
        .bearer_auth("capsule-sandbox-token")
        .json(&json!({"opportunity": {"milestone": {"id": milestones[3]}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(won.status(), 200);
    wait_metadata(&world, "capsule_open_opportunities", "0").await;
    capsule_post(
        &world,
        "tasks",
        "task",
        json!({"party": party, "description": "Thank them",
        "dueOn": "2026-12-31"}),
    )
    .await;
    wait_metadata(&world, "capsule_next_task", "Thank them").await;
    assert_eq!(
        world.customers().await[0]["metadata"]["capsule_open_value"],
        "none"
    );
    handle.shutdown().await;
}
