//! `ferry serve --public-url` subscribes the Capsule REST hooks its pipelines need, once (a
//! restart adds none), and the Capsule emulator's deliveries to them reach Stripe; a set that
//! does not fit Capsule's 20 hooks fails with E0900 and adds nothing; `ferry hooks` lists,
//! subscribes and unsubscribes ferry's own hooks; the endpoint's token is never printed.

use std::time::Duration;

use crate::run_support;
use crate::serve_capsule_hooks::{TOKEN, capsule_post, with_capsule_hook};

use ferry::connectors::webhook_subscription::SubscribeError;
use ferry::server::StartError;
use run_support::serve::{free_port, serve_public};
use run_support::*;
use serde_json::{Value, json};

const ACTIVITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/capsule_contacts_to_stripe_activity.ferry"
);

/// Every hook the activity and contacts pipelines read: the party, opportunity, case and task
/// events Capsule sends.
const NEEDED: [&str; 16] = [
    "kase/closed",
    "kase/created",
    "kase/deleted",
    "kase/moved",
    "kase/updated",
    "opportunity/closed",
    "opportunity/created",
    "opportunity/deleted",
    "opportunity/moved",
    "opportunity/updated",
    "party/created",
    "party/deleted",
    "party/updated",
    "task/completed",
    "task/created",
    "task/updated",
];

/// The Capsule emulator's REST hooks, as its API lists them.
async fn resthooks(world: &World) -> Vec<Value> {
    let page: Value = reqwest::Client::new()
        .get(format!("{}/capsule/api/v2/resthooks", world.base))
        .bearer_auth("capsule-sandbox-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["restHooks"].as_array().unwrap().clone()
}

/// The hooks' events and target URLs, sorted.
fn subscribed(hooks: &[Value]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = hooks
        .iter()
        .map(|h| {
            let text = |key: &str| h[key].as_str().unwrap().to_string();
            (text("event"), text("targetUrl"))
        })
        .collect();
    pairs.sort();
    pairs
}

/// Hooks of someone else's, to other addresses.
async fn other_hooks(world: &World, count: usize) {
    for n in 0..count {
        let hook = json!({"event": "party/created", "targetUrl": format!("https://zapier.example.com/{n}")});
        capsule_post(world, "resthooks", "restHook", hook).await;
    }
}

/// Waits (at most 20 s) for the Stripe customer with `email` to satisfy `check`; it, then.
async fn customer_once(world: &World, email: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let customers = world.customers().await;
        if let Some(customer) = customers.iter().find(|c| c["email"] == email && check(c)) {
            return customer.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no customer {email} as expected after 20 s: {:#?}",
        world.customers().await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_subscribes_what_its_pipelines_need_once_and_capsule_delivers_to_it() {
    let world = world(None, None).await;
    world.add_people(0..1);
    let project = world.project(1000);
    world.with_shipped_schemas();
    with_capsule_hook(&project);
    let port = free_port();
    let pipelines = [CAPSULE_TO_STRIPE, ACTIVITY];
    let (handle, _store) = serve_public(&project, &pipelines, port).await.unwrap();
    let target = format!("http://127.0.0.1:{port}/webhooks/capsule/capsule/{TOKEN}");
    let expected: Vec<(String, String)> = NEEDED
        .iter()
        .map(|event| (event.to_string(), target.clone()))
        .collect();
    let first = resthooks(&world).await;
    assert_eq!(subscribed(&first), expected);
    assert!(
        first
            .iter()
            .all(|h| h["description"] == "ferry: connection capsule")
    );

    handle.shutdown().await;
    let (handle, _store) = serve_public(&project, &pipelines, port).await.unwrap();
    assert_eq!(
        resthooks(&world).await,
        first,
        "a restart subscribes nothing again"
    );

    // A person edited through Capsule's API, their plan (a custom field, definition 902) set:
    // Capsule delivers `party/updated` to the hook, without custom fields, so ferry reads the
    // party again before mapping it.
    let party = 100_000;
    let edit = json!({"firstName": "Ada", "lastName": "Lovelace",
        "fields": [{"definition": {"id": 902}, "value": "Pro"}]});
    reqwest::Client::new()
        .put(format!("{}/capsule/api/v2/parties/{party}", world.base))
        .bearer_auth("capsule-sandbox-token")
        .json(&json!({ "party": edit }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let customer = customer_once(&world, "person0@example.com", |c| {
        c["name"] == "Ada Lovelace"
    })
    .await;
    assert_eq!(customer["metadata"]["capsule_id"], "100000");
    assert_eq!(customer["metadata"]["plan"], "Pro", "{customer:#}");

    // An opportunity added: `opportunity/created` refreshes the customer's activity.
    let milestone = world.capsule.data().milestones[1].id;
    let opportunity = json!({"party": {"id": party}, "name": "Licence", "milestone": {"id": milestone},
        "value": {"amount": 1500, "currency": "AUD"}});
    let licence = capsule_post(&world, "opportunities", "opportunity", opportunity).await;
    let customer = customer_once(&world, "person0@example.com", |c| {
        c["metadata"]["capsule_open_opportunities"] == "1"
    })
    .await;
    assert_eq!(customer["metadata"]["capsule_open_value"], "AUD 1500.00");

    // A second opportunity and a case, then the first opportunity and the case deleted: the
    // `*/deleted` hooks alone bring the metadata up to date.
    let support = json!({"party": {"id": party}, "name": "Support", "milestone": {"id": milestone},
        "value": {"amount": 20, "currency": "USD"}});
    capsule_post(&world, "opportunities", "opportunity", support).await;
    let case = capsule_post(
        &world,
        "kases",
        "kase",
        json!({"party": {"id": party}, "name": "Setup"}),
    )
    .await;
    customer_once(&world, "person0@example.com", |c| {
        c["metadata"]["capsule_open_opportunities"] == "2"
            && c["metadata"]["capsule_open_cases"] == "1"
    })
    .await;
    for path in [
        format!("opportunities/{}", licence["id"]),
        format!("kases/{}", case["id"]),
    ] {
        reqwest::Client::new()
            .delete(format!("{}/capsule/api/v2/{path}", world.base))
            .bearer_auth("capsule-sandbox-token")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
    let customer = customer_once(&world, "person0@example.com", |c| {
        c["metadata"]["capsule_open_opportunities"] == "1"
            && c["metadata"]["capsule_open_cases"] == "0"
    })
    .await;
    assert_eq!(customer["metadata"]["capsule_open_value"], "USD 20.00");
    assert_eq!(world.customers().await.len(), 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hooks_that_do_not_fit_capsules_twenty_fail_with_e0621_and_add_none() {
    let world = world(None, None).await;
    let project = world.project(1000);
    with_capsule_hook(&project);
    other_hooks(&world, 10).await;
    let port = free_port();
    let error = serve_public(&project, &[CAPSULE_TO_STRIPE, ACTIVITY], port)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            &error,
            StartError::Subscribe(SubscribeError::OverLimit {
                missing: 16,
                existing: 10,
                limit: 20,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(resthooks(&world).await.len(), 10);

    // The same through the binary: the coded diagnostic, and no token in the output.
    let public = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let args = [
        "serve",
        CAPSULE_TO_STRIPE,
        ACTIVITY,
        "--public-url",
        &public,
        "--bind",
        &bind,
    ];
    let output = run_ferry(world.dir.path(), &args).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("E0900"), "{stderr}");
    // The terminal renderer wraps the message: its words, in order.
    let words: Vec<&str> = stderr.split_whitespace().collect();
    let said = words.join(" ").replace(" │ ", " ");
    assert!(
        said.contains(
            "connection `capsule`: 16 more webhook subscriptions are needed, but the account already has 10 of the 20 it may have"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN) && !text(&output.stdout).contains(TOKEN));
    assert_eq!(resthooks(&world).await.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn ferry_hooks_subscribes_lists_and_removes_only_its_own() {
    let world = world(None, None).await;
    let project = world.project(1000);
    with_capsule_hook(&project);
    other_hooks(&world, 1).await;
    let dir = world.dir.path();
    let public = "https://ferry.example.com/";
    let run = |args: Vec<&'static str>| async move {
        let output = run_ferry(dir, &args).await;
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
            "{stdout}{stderr}"
        );
        stdout
    };
    let subscribe = [
        "hooks",
        "subscribe",
        CAPSULE_TO_STRIPE,
        "--public-url",
        public,
    ];
    let stdout = run(subscribe.to_vec()).await;
    let target = "https://ferry.example.com/webhooks/capsule/capsule/[redacted]";
    assert_eq!(
        stdout,
        format!(
            "capsule: 3 subscribed, 0 already were\n  + party/created {target}\n  + party/updated {target}\n  + party/deleted {target}\n"
        )
    );
    let hooks = resthooks(&world).await;
    assert_eq!(hooks.len(), 4);
    let ours = format!("https://ferry.example.com/webhooks/capsule/capsule/{TOKEN}");
    assert_eq!(hooks.iter().filter(|h| h["targetUrl"] == ours).count(), 3);

    // ferry.yaml's `public_url` is the same address: nothing more to subscribe.
    let yaml = std::fs::read_to_string(&project).unwrap();
    std::fs::write(
        &project,
        format!("public_url: https://ferry.example.com\n{yaml}"),
    )
    .unwrap();
    assert_eq!(
        run(vec!["hooks", "subscribe", CAPSULE_TO_STRIPE]).await,
        "capsule: 0 subscribed, 3 already were\n"
    );
    let listed = run(vec!["hooks", "list"]).await;
    let whose: Vec<&str> = listed
        .lines()
        .map(|line| line.split('\t').nth(3).unwrap())
        .collect();
    assert_eq!(whose, ["other", "ferry", "ferry", "ferry"], "{listed}");
    assert!(listed.contains(target), "{listed}");

    // Stripe's endpoints are registered in its dashboard: ferry manages none of them.
    let stripe = run_ferry(dir, &["hooks", "list", "--connection", "stripe"]).await;
    let stderr = text(&stripe.stderr);
    assert_eq!(stripe.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("E0901"), "{stderr}");
    assert!(
        stderr
            .contains("connection `stripe` (stripe) has no webhook subscriptions ferry can manage"),
        "{stderr}"
    );

    let removed = run(vec!["hooks", "unsubscribe"]).await;
    assert!(
        removed.starts_with("capsule: 3 unsubscribed\n"),
        "{removed}"
    );
    let left = resthooks(&world).await;
    assert_eq!(
        subscribed(&left),
        [(
            "party/created".to_string(),
            "https://zapier.example.com/0".to_string()
        )]
    );
}
