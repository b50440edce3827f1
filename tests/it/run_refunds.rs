//! Refunds are booked per Stripe refund: one posted credit memo per refund id, whatever order
//! the `charge.refunded` events arrive in and however often. The refunds are made with the
//! documented `POST /v1/refunds`, the second event is delivered first, and every event twice.

use crate::run_support;

use std::collections::BTreeMap;

use ferry::connectors::stripe::signature;
use ferry::project::Secret;
use ferry::store::DeadLetterFilter;
use run_support::serve::*;
use run_support::*;
use rust_decimal::Decimal;
use serde_json::Value;

fn pipeline(name: &str) -> String {
    format!("{}/pipelines/{name}.ferry", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_refund_event_loses_no_amount_and_duplicates_write_nothing() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = world
        .stripe_post("/v1/customers", "email=ada%40lovelace.example&name=Ada")
        .await;
    let customer_id = customer["id"].as_str().unwrap().to_string();
    let charge = world
        .sandbox_charges(&[12550], Some(&customer_id))
        .await
        .remove(0);
    let (invoices, invoices_job, store) = runner(
        &project,
        &pipeline("stripe_charges_to_business_central_invoices"),
    )
    .await;
    let report = run(&invoices, &invoices_job).await;
    assert_eq!(report.dead_lettered, 0, "{report:?}");

    let refunds = world.refunds(&charge, &[2550, 5450]).await;
    let events: Vec<Value> = world
        .stripe
        .objects("event")
        .into_iter()
        .filter(|e| e["type"] == "charge.refunded")
        .collect();
    assert_eq!(events.len(), 2);

    let (handle, serve_store) = serve_project(
        &project,
        2,
        &[&pipeline("stripe_refunds_to_business_central")],
    )
    .await;
    let url = format!("http://{}/webhooks/stripe/stripe", handle.local_addr);
    let client = reqwest::Client::new();
    // The second refund's event first, then the first's; each delivered twice.
    for event in events.iter().rev().chain(events.iter().rev()) {
        let body = serde_json::to_vec(event).unwrap();
        let at = jiff::Timestamp::now().as_second();
        let answer = client
            .post(&url)
            .header(
                "stripe-signature",
                signature::sign(&body, &Secret::new(WEBHOOK_SECRET), at),
            )
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    inbox_drained(&serve_store).await;
    handle.shutdown().await;

    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert!(letters.is_empty(), "{letters:#?}");
    let invoice = world
        .business_central("salesInvoices")
        .await
        .into_iter()
        .find(|i| i["externalDocumentNumber"] == charge.as_str())
        .unwrap();
    let memos = world
        .business_central("salesCreditMemos?$expand=salesCreditMemoLines")
        .await;
    let credited: BTreeMap<String, Decimal> = memos
        .iter()
        .map(|m| {
            assert_eq!(m["invoiceId"], invoice["id"]);
            assert_ne!(m["status"], "Draft", "each memo is posted: {m:#}");
            (
                m["externalDocumentNumber"].as_str().unwrap().to_string(),
                m["salesCreditMemoLines"][0]["unitPrice"]
                    .to_string()
                    .parse()
                    .unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, Decimal> = refunds
        .iter()
        .cloned()
        .zip([Decimal::new(2550, 2), Decimal::new(5450, 2)])
        .collect();
    assert_eq!(credited, expected, "one memo per refund, for its amount");
    assert_eq!(credited.values().sum::<Decimal>(), Decimal::new(8000, 2));

    // A rerun over the same events writes nothing.
    let (refunds_runner, refunds_job, _) =
        runner(&project, &pipeline("stripe_refunds_to_business_central")).await;
    let again = run_backfill(&refunds_runner, &refunds_job).await;
    assert_eq!(
        (again.created, again.updated, again.dead_lettered),
        (0, 0, 0),
        "{again:?}"
    );
}

/// A charge refunded twice, the second time after the first refund was booked: the second
/// refund gets its own credit memo and its own refund payment, and the customer's balance is
/// back at zero.
#[tokio::test]
async fn a_second_refund_made_later_is_paid_out_too() {
    let (world, project, charge) = booked_charge("grace%40hopper.example").await;
    let (refunds, refunds_job, store) =
        runner(&project, &pipeline("stripe_refunds_to_business_central")).await;
    let mut refund_ids = Vec::new();
    for amount in [2550, 10000] {
        refund_ids.push(refund(&world, &charge, amount).await);
        let report = run(&refunds, &refunds_job).await;
        assert_eq!(report.dead_lettered, 0, "{report:?}");
    }
    assert_no_dead_letters(&store).await;
    refund_ids.sort();
    assert_eq!(
        paid_out_refunds(&world).await,
        refund_ids,
        "one refund payment per refund"
    );
    let balance = world
        .business_central("customers")
        .await
        .into_iter()
        .find(|c| c["email"] == "grace@hopper.example")
        .unwrap()["balanceDue"]
        .to_string()
        .parse::<Decimal>()
        .unwrap();
    assert_eq!(balance, Decimal::ZERO);
}

/// The sandbox with one customer (`email`, form-encoded) and one charge of 125.50 by it, booked
/// in Business Central as a paid invoice: the project and the charge's id.
async fn booked_charge(email: &str) -> (World, std::path::PathBuf, String) {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = world
        .stripe_post("/v1/customers", &format!("email={email}&name=Payer"))
        .await;
    let charge = world
        .sandbox_charges(&[12550], customer["id"].as_str())
        .await
        .remove(0);
    let (invoices, invoices_job, _) = runner(
        &project,
        &pipeline("stripe_charges_to_business_central_invoices"),
    )
    .await;
    let report = run(&invoices, &invoices_job).await;
    assert_eq!(report.dead_lettered, 0, "{report:?}");
    (world, project, charge)
}

/// Refunds `amount` cents of `charge` in Stripe; the refund's id.
async fn refund(world: &World, charge: &str, amount: i64) -> String {
    let refund = world
        .stripe_post("/v1/refunds", &format!("charge={charge}&amount={amount}"))
        .await;
    refund["id"].as_str().unwrap().to_string()
}

/// The refund payments of the customer ledger (`re_...`), sorted by refund id.
async fn paid_out_refunds(world: &World) -> Vec<String> {
    let mut paid_out: Vec<String> = world
        .business_central("customerLedgerEntries")
        .await
        .into_iter()
        .filter(|e| e["documentType"] == "Payment")
        .filter_map(|e| e["externalDocumentNumber"].as_str().map(str::to_string))
        .filter(|n| n.starts_with("re_"))
        .collect();
    paid_out.sort();
    paid_out
}

/// A charge whose first refund was paid out by an earlier run gets a second refund, whose
/// payment Business Central refuses to post (a closed period). The record is dead-lettered, not
/// taken for posted because its first payment is in the ledger: after a refused post only the
/// lines just written are looked up there. Once the period is open, a replay pays the second
/// refund out, once.
#[tokio::test]
async fn a_refused_post_of_a_new_refund_payment_is_not_taken_for_the_earlier_one() {
    let (world, project, charge) = booked_charge("edsger%40dijkstra.example").await;
    let (refunds, refunds_job, store) =
        runner(&project, &pipeline("stripe_refunds_to_business_central")).await;
    let first = refund(&world, &charge, 2550).await;
    let report = run(&refunds, &refunds_job).await;
    assert_eq!(report.dead_lettered, 0, "{report:?}");
    assert_eq!(paid_out_refunds(&world).await, std::slice::from_ref(&first));

    // The second refund's credit memo is posted, but its payment waits behind another line in
    // the payment journal (left by a killed process): the run stops, nothing is dead-lettered.
    let second = refund(&world, &charge, 5000).await;
    let (journal, stray) = world.stray_payment_line().await;
    run_into_busy_journal(&refunds, &refunds_job).await;
    assert_no_dead_letters(&store).await;
    let memos = world.business_central("salesCreditMemos").await;
    let second_memo: Vec<&Value> = memos
        .iter()
        .filter(|m| m["externalDocumentNumber"] == second.as_str())
        .collect();
    assert_eq!(second_memo.len(), 1, "{memos:#?}");
    assert_ne!(second_memo[0]["status"], "Draft", "{memos:#?}");
    world.delete_payment_line(&journal, &stray).await;

    // The period is closed now: the second payment is written, its post refused.
    world
        .business_central_emulator
        .allow_posting(None, Some("2000-12-31"));
    let report = run(&refunds, &refunds_job).await;
    assert_eq!(report.dead_lettered, 1, "{report:?}");
    let letter = closed_period_letter(&store).await;
    assert_eq!(
        paid_out_refunds(&world).await,
        std::slice::from_ref(&first),
        "the ledger holds the first refund's payment alone"
    );
    let waiting = world
        .business_central(&format!(
            "customerPaymentJournals({journal})/customerPayments"
        ))
        .await;
    assert!(
        waiting.is_empty(),
        "the refused line left the journal: {waiting:#?}"
    );

    world.business_central_emulator.allow_posting(None, None);
    let replayed = refunds.replay(&refunds_job, &letter).await.unwrap();
    assert!(
        matches!(replayed, ferry::runtime::Replayed::Resolved(_)),
        "{replayed:?}"
    );
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(
        paid_out_refunds(&world).await,
        both,
        "each refund paid out once"
    );
    let again = run_backfill(&refunds, &refunds_job).await;
    assert_eq!(
        (again.created, again.updated, again.dead_lettered),
        (0, 0, 0),
        "{again:?}"
    );
}
