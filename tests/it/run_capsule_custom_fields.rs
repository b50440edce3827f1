//! Capsule custom fields end to end, as a consultant works: `ferry schema pull capsule` from the
//! emulator, `ferry lint` against the pulled file (a typed field accepted, a misspelt one and a
//! wrong type refused), a person's custom fields carried into a Stripe customer's metadata, a
//! Stripe sign-up written back to Capsule as `fields`, and a definition retyped behind ferry's
//! back stopping the run with E0710 before anything is written.

use crate::run_support;

use run_support::*;
use serde_json::{Value, json};

const TO_STRIPE: &str = r#"
pipeline capsule_people_to_stripe {
  source capsule.parties {
    poll every 5m
    where .type == "person"
  }
  map to stripe.customer {
    email = first(.emailAddresses)?.address ?? skip("no email")
    name = join([.firstName, .lastName], " ")
    metadata.capsule_id = string(.id)
    metadata.plan = .custom.plan ?? omit
    metadata.renewal_date = .custom.renewal_date ?? omit
    metadata.credit_limit = string(.custom.credit_limit ?? skip("no credit limit"))
    metadata.invoice_by_email = if .custom.invoice_by_email ?? false { "yes" } else { "no" }
  }
  sink stripe.customers {
    match on email
    cross_reference capsule.parties.id
  }
  test "custom fields become metadata" {
    input = {
      id: 1, type: "person", firstName: "Ada", lastName: "Lovelace",
      emailAddresses: [{ id: 2, address: "ada@example.com" }],
      custom: { plan: "Pro", renewal_date: "2027-03-31", credit_limit: 2500.00, invoice_by_email: true },
    }
    expect = {
      email: "ada@example.com", name: "Ada Lovelace",
      metadata: { capsule_id: "1", plan: "Pro", renewal_date: "2027-03-31", credit_limit: "2500.00", invoice_by_email: "yes" },
    }
  }
}
"#;

const TO_CAPSULE: &str = r#"
pipeline stripe_signups_to_capsule {
  source stripe.events {
    on "customer.created"
    where .data.object.metadata?.capsule_id == null
  }
  let customer = fetch(stripe.customers, .data.object.id) ?? skip("the customer is gone from Stripe")
  map to capsule.party {
    type = "person"
    firstName = customer.name ?? omit
    emailAddresses = [{ type: "Work", address: customer.email ?? skip("no email") }]
    custom.stripe_customer = customer.id
    custom.plan = customer.metadata?.plan ?? omit
  }
  sink capsule.parties {
    cross_reference stripe.customers.id
  }
}
"#;

const MISTAKES: &str = r#"
pipeline mistakes {
  source capsule.parties { poll every 5m }
  map to stripe.customer {
    email = first(.emailAddresses)?.address ?? skip("no email")
    metadata.renewal = .custom.renewl_date ?? omit
    metadata.limit = (.custom.credit_limit ?? 0) + "x"
  }
  sink stripe.customers { match on email }
}
"#;

/// A world whose project pulled the emulator's custom field definitions, with the pipelines
/// written next to it.
async fn pulled_world() -> World {
    let world = world(None, None).await;
    world.project(1000);
    let pulled = run_ferry(world.dir.path(), &["schema", "pull", "capsule"]).await;
    assert!(pulled.status.success(), "{}", text(&pulled.stderr));
    assert!(world.dir.path().join("schemas/capsule.json").is_file());
    for (file, pipeline) in [
        ("to_stripe.ferry", TO_STRIPE),
        ("to_capsule.ferry", TO_CAPSULE),
    ] {
        std::fs::write(world.dir.path().join(file), pipeline).unwrap();
    }
    world
}

/// A Capsule API call against the world's emulator: the status and the answer.
async fn capsule(
    world: &World,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/capsule/api/v2/{path}", world.base))
        .bearer_auth("capsule-sandbox-token");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The id of the party definition named `name`, as the emulator lists it.
async fn definition_id(world: &World, name: &str) -> u64 {
    let (_, listed) = capsule(
        world,
        reqwest::Method::GET,
        "parties/fields/definitions",
        None,
    )
    .await;
    let definitions = listed["definitions"].as_array().unwrap();
    let found = definitions.iter().find(|d| d["name"] == name).unwrap();
    found["id"].as_u64().unwrap()
}

/// Ada, created through Capsule's API with four custom fields.
async fn add_ada(world: &World) {
    let plan = definition_id(world, "Plan").await;
    let renewal = definition_id(world, "Renewal date").await;
    let limit = definition_id(world, "Credit limit").await;
    let by_email = definition_id(world, "Invoice by email").await;
    // Sent as text so that 2500.00 keeps its scale (`json!` would make it an f64).
    let body: Value = serde_json::from_str(&format!(
        r#"{{"party": {{"type": "person", "firstName": "Ada", "lastName": "Lovelace",
            "emailAddresses": [{{"address": "ada@example.com"}}],
            "fields": [
              {{"definition": {{"id": {plan}}}, "value": "Pro"}},
              {{"definition": {{"id": {renewal}}}, "value": "2027-03-31"}},
              {{"definition": {{"id": {limit}}}, "value": 2500.00}},
              {{"definition": {{"id": {by_email}}}, "value": true}}
            ]}}}}"#
    ))
    .unwrap();
    let (status, created) = capsule(world, reqwest::Method::POST, "parties", Some(body)).await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pulled_custom_fields_type_the_pipelines() {
    let world = pulled_world().await;
    std::fs::write(world.dir.path().join("mistakes.ferry"), MISTAKES).unwrap();
    let good = run_ferry(
        world.dir.path(),
        &[
            "lint",
            "to_stripe.ferry",
            "to_capsule.ferry",
            "--format",
            "json",
        ],
    )
    .await;
    let report: Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(report["errors"], 0, "{report}");
    let tested = run_ferry(world.dir.path(), &["test", "to_stripe.ferry"]).await;
    assert!(tested.status.success(), "{}", text(&tested.stdout));
    assert!(text(&tested.stdout).contains("1 passed, 0 failed"));

    let bad = run_ferry(
        world.dir.path(),
        &["lint", "mistakes.ferry", "--format", "json"],
    )
    .await;
    assert!(!bad.status.success());
    let report: Value = serde_json::from_slice(&bad.stdout).unwrap();
    let errors: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            let field = |key: &str| d[key].as_str().unwrap_or_default().to_string();
            (field("code"), field("message"), field("help"))
        })
        .collect();
    assert_eq!(
        errors,
        [
            (
                "E0201".to_string(),
                "`capsule.partyCustomFields` has no field `renewl_date`".to_string(),
                "did you mean `renewal_date`?".to_string()
            ),
            (
                "E0300".to_string(),
                "`+` cannot be applied to decimal and string".to_string(),
                "convert first: `string(...)`, or use a template `\"${a}${b}\"`".to_string()
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_fields_reach_stripe_metadata_and_a_signup_goes_back_as_fields() {
    let world = pulled_world().await;
    add_ada(&world).await;
    let synced = run_ferry(world.dir.path(), &["run", "to_stripe.ferry"]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let customers = world.customers().await;
    assert_eq!(customers.len(), 1);
    let ada = &customers[0];
    let capsule_id = ada["metadata"]["capsule_id"].as_str().unwrap().to_string();
    assert_eq!(
        ada["metadata"],
        json!({"capsule_id": capsule_id, "plan": "Pro", "renewal_date": "2027-03-31",
               "credit_limit": "2500.00", "invoice_by_email": "yes"})
    );

    // A self-serve sign-up in Stripe becomes a Capsule person with its id and plan.
    let grace = world
        .stripe_post(
            "/v1/customers",
            "email=grace@example.com&name=Grace&metadata[plan]=Enterprise",
        )
        .await;
    let grace_id = grace["id"].as_str().unwrap();
    let back = run_ferry(world.dir.path(), &["run", "to_capsule.ferry"]).await;
    assert!(back.status.success(), "{}", text(&back.stderr));
    let (_, listed) = capsule(&world, reqwest::Method::GET, "parties?embed=fields", None).await;
    let parties = listed["parties"].as_array().unwrap();
    assert_eq!(
        parties.len(),
        2,
        "Ada came from Capsule and is not written back"
    );
    let made = parties.iter().find(|p| p["firstName"] == "Grace").unwrap();
    let fields: Vec<(Value, Value)> = made["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["definition"]["name"].clone(), f["value"].clone()))
        .collect();
    assert_eq!(
        fields,
        [
            (json!("Stripe customer"), json!(grace_id)),
            (json!("Plan"), json!("Enterprise")),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_definition_retyped_since_the_pull_stops_the_run_with_e0710() {
    let world = pulled_world().await;
    add_ada(&world).await;
    // An administrator turns "Renewal date" into a text field after the project pulled it.
    {
        let mut data = world.capsule.data();
        let renewal = data
            .definitions
            .iter_mut()
            .find(|d| d.name == "Renewal date")
            .unwrap();
        renewal.kind = "text";
    }
    let run = run_ferry(world.dir.path(), &["run", "to_stripe.ferry"]).await;
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(
            "E0710: `custom.renewal_date` (\"Renewal date\", definition 901) of parties was pulled as date but is now text in the Capsule account"
        ),
        "{stderr}"
    );
    assert!(world.customers().await.is_empty(), "nothing is written");

    // Pulled again, the pipeline lints as before (a text field is a string, as a date was),
    // and the run goes through.
    let pulled = run_ferry(world.dir.path(), &["schema", "pull", "capsule"]).await;
    assert!(pulled.status.success(), "{}", text(&pulled.stderr));
    let run = run_ferry(world.dir.path(), &["run", "to_stripe.ferry"]).await;
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert_eq!(world.customers().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_file_that_is_not_json_is_e0112_and_lint_goes_on_without_it() {
    let world = pulled_world().await;
    let file = world.dir.path().join("schemas/capsule.json");
    let pulled = std::fs::read_to_string(&file).unwrap();
    // Cut short, as by a merge gone wrong.
    std::fs::write(&file, &pulled[..pulled.len() / 2]).unwrap();
    let linted = run_ferry(
        world.dir.path(),
        &["lint", "to_stripe.ferry", "--format", "json"],
    )
    .await;
    let report: Value = serde_json::from_slice(&linted.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // The file, and then `.custom`, which only the file gave the parties.
    assert_eq!(codes[0], "E0112", "{report}");
    assert!(codes[1..].iter().all(|code| *code == "E0201"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shipped_contacts_pipeline_carries_plan_and_renewal_date_into_metadata() {
    let world = pulled_world().await;
    add_ada(&world).await;
    let synced = run_ferry(world.dir.path(), &["run", CAPSULE_TO_STRIPE]).await;
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    let customers = world.customers().await;
    assert_eq!(customers.len(), 1);
    let metadata = &customers[0]["metadata"];
    assert_eq!(
        metadata,
        &json!({"capsule_id": metadata["capsule_id"], "owner_email": "unassigned",
                "plan": "Pro", "renewal_date": "2027-03-31"})
    );
}
