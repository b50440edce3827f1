//! Updates to Stripe's nested hashes, read back from the emulator: Stripe replaces `address`
//! and `shipping` whole when an update names them and merges only `metadata` key by key, so a
//! changed city must not erase the state, and the sync must settle (issue 18, finding 4).

use crate::run_support;

use ferry::sandbox::capsule::party::Address;
use ferry::store::AuditFilter;
use run_support::*;
use serde_json::{Value, json};

fn sydney_office() -> Address {
    Address {
        id: 1,
        kind: Some("Office".into()),
        street: Some("12 Babbage Lane".into()),
        city: Some("Sydney".into()),
        state: Some("NSW".into()),
        zip: Some("2000".into()),
        country: Some("Australia".into()),
    }
}

async fn customer(world: &World, email: &str) -> Value {
    let customers = world.customers().await;
    customers
        .into_iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("no customer {email}"))
}

#[tokio::test]
async fn a_new_city_and_postcode_keep_the_rest_of_the_address_and_the_sync_settles() {
    let world = world(None, None).await;
    world.add_people(0..2);
    world.edit_person(1, |party| party.addresses.push(sydney_office()));
    let project = world.project(1000);
    let (runner, job, store) = runner(&project, CAPSULE_TO_STRIPE).await;
    assert_eq!(run(&runner, &job).await.created, 2);
    // Someone adds a second line in Stripe, a field the pipeline does not map.
    let id = customer(&world, "person1@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    world
        .stripe_post(
            &format!("/v1/customers/{id}"),
            "address[line1]=12+Babbage+Lane&address[line2]=Level+3&address[city]=Sydney\
             &address[state]=NSW&address[postal_code]=2000&address[country]=AU",
        )
        .await;

    world.edit_person(1, |party| {
        party.addresses[0].city = Some("Newcastle".into());
        party.addresses[0].zip = Some("2300".into());
    });
    let report = run(&runner, &job).await;
    assert_eq!(
        (report.created, report.updated, report.dead_lettered),
        (0, 1, 0)
    );
    assert_eq!(
        customer(&world, "person1@example.com").await["address"],
        json!({"line1": "12 Babbage Lane", "line2": "Level 3", "city": "Newcastle",
            "state": "NSW", "postal_code": "2300", "country": "AU"})
    );
    let audit = store
        .audit_entries(&AuditFilter {
            source_id: Some("100001".into()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        audit.last().unwrap().fields_changed,
        vec!["address.city", "address.postal_code"]
    );

    // Reading every party again finds nothing to change: the sync has settled.
    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert_no_dead_letters(&store).await;
}

/// Capsule people -> Stripe customers with a shipping hash and a job title kept in metadata.
const SHIPPING_PIPELINE: &str = r#"pipeline people_shipping {
  source capsule.parties { where .type == "person" }
  let address = first(.addresses)
  map to stripe.customer {
    email = first(.emailAddresses)?.address ?? skip("no email")
    name = join([.firstName, .lastName], " ")
    shipping.name = join([.firstName, .lastName], " ")
    shipping.address.line1 = address?.street ?? omit
    shipping.address.city = address?.city ?? omit
    shipping.address.state = address?.state ?? omit
    shipping.address.postal_code = address?.zip ?? omit
    metadata.capsule_id = string(.id)
    metadata.job_title = .jobTitle
  }
  sink stripe.customers {
    match on email
    cross_reference capsule.parties.id
  }
}
"#;

#[tokio::test]
async fn a_new_shipping_city_sends_the_whole_shipping_hash_and_a_null_metadata_key_is_unset() {
    let world = world(None, None).await;
    world.add_people(0..1);
    world.edit_person(0, |party| {
        party.addresses.push(sydney_office());
        party.job_title = Some("Analyst".into());
    });
    let project = world.project(1000);
    let pipeline = project.parent().unwrap().join("people_shipping.ferry");
    std::fs::write(&pipeline, SHIPPING_PIPELINE).unwrap();
    let (runner, job, store) = runner(&project, pipeline.to_str().unwrap()).await;
    assert_eq!(run(&runner, &job).await.created, 1);
    let id = customer(&world, "person0@example.com").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Another system keeps its own key and the country (which this pipeline does not map).
    world
        .stripe_post(
            &format!("/v1/customers/{id}"),
            "metadata[erp_id]=C-001&shipping[name]=Person+0&shipping[phone]=%2B61400000000\
             &shipping[address][line1]=12+Babbage+Lane&shipping[address][city]=Sydney\
             &shipping[address][state]=NSW&shipping[address][postal_code]=2000\
             &shipping[address][country]=AU",
        )
        .await;

    world.edit_person(0, |party| {
        party.addresses[0].city = Some("Newcastle".into());
        party.job_title = None;
    });
    let report = run(&runner, &job).await;
    assert_eq!(
        (report.created, report.updated, report.dead_lettered),
        (0, 1, 0)
    );
    let after = customer(&world, "person0@example.com").await;
    assert_eq!(
        after["shipping"],
        json!({"name": "Person 0", "phone": "+61400000000", "address": {
            "line1": "12 Babbage Lane", "line2": null, "city": "Newcastle", "state": "NSW",
            "postal_code": "2000", "country": "AU"}})
    );
    // The job title is gone from Capsule, so its key is unset; the ERP's key is not this
    // pipeline's and stays.
    assert_eq!(
        after["metadata"],
        json!({"capsule_id": "100000", "erp_id": "C-001"})
    );

    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 1));
    assert_no_dead_letters(&store).await;
}
