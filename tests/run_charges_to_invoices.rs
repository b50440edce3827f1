//! A three-step pipeline against the sandbox: each `charge.succeeded` makes sure its customer
//! exists in Business Central (created once, then matched), then writes a sales invoice and a
//! customer payment applied to that invoice. Running again writes nothing.

mod run_support;

use run_support::*;
use serde_json::Value;

const CHARGES_TO_INVOICES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_charges_to_business_central_invoices.ferry"
);

fn ours<'a>(entities: &'a [Value], field: &str, ids: &[String]) -> Vec<&'a Value> {
    entities
        .iter()
        .filter(|e| ids.iter().any(|id| e[field] == id.as_str()))
        .collect()
}

#[tokio::test]
async fn charges_become_one_customer_and_an_invoice_with_its_payment_each_once() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = world
        .stripe_post(
            "/v1/customers",
            "email=grace%40hopper.example&name=Grace%20Hopper",
        )
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    let charges = world
        .sandbox_charges(&[12550, 990], Some(&customer_id))
        .await;

    let (runner, job, store) = runner(&project, CHARGES_TO_INVOICES).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    // One customer (the second charge matches it), two invoices, two payments.
    assert_eq!((report.created, report.unchanged), (5, 1), "{report:?}");

    let customers = world.business_central("customers").await;
    let grace: Vec<&Value> = customers
        .iter()
        .filter(|c| c["email"] == "grace@hopper.example")
        .collect();
    assert_eq!(grace.len(), 1, "{grace:#?}");
    let number = grace[0]["number"].as_str().unwrap();

    let invoices = world.business_central("salesInvoices").await;
    let invoices = ours(&invoices, "externalDocumentNumber", &charges);
    assert_eq!(invoices.len(), 2);
    assert!(invoices.iter().all(|i| i["customerNumber"] == number));

    let payments = world.business_central("customerPayments").await;
    let payments = ours(&payments, "externalDocumentNumber", &charges);
    assert_eq!(payments.len(), 2, "{payments:#?}");
    for payment in &payments {
        let invoice = invoices
            .iter()
            .find(|i| i["externalDocumentNumber"] == payment["externalDocumentNumber"])
            .unwrap();
        assert_eq!(payment["appliesToInvoiceId"], invoice["id"]);
        assert_eq!(payment["customerNumber"], number);
    }

    let again = run_backfill(&runner, &job).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 6),
        "{again:?}"
    );
    assert_eq!(
        ours(
            &world.business_central("customerPayments").await,
            "externalDocumentNumber",
            &charges
        )
        .len(),
        2
    );
}
