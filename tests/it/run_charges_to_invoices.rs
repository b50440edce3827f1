//! A three-step pipeline against the sandbox: each `charge.succeeded` makes sure its customer
//! exists in Business Central (created once, then matched), then writes a sales invoice and a
//! customer payment applied to that invoice. Running again writes nothing.

use crate::run_support;

use run_support::*;
use rust_decimal::Decimal;
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

/// The customer ledger's payment entries of `charges`.
async fn ledger_payments(world: &World, charges: &[String]) -> Vec<Value> {
    let entries = world.business_central("customerLedgerEntries").await;
    ours(&entries, "externalDocumentNumber", charges)
        .into_iter()
        .filter(|e| e["documentType"] == "Payment")
        .cloned()
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

    // Each payment was posted: it left the journal as a customer ledger entry that closed its
    // invoice.
    let unposted = world.business_central("customerPayments").await;
    assert!(ours(&unposted, "externalDocumentNumber", &charges).is_empty());
    let entries = world.business_central("customerLedgerEntries").await;
    let payments: Vec<&Value> = ours(&entries, "externalDocumentNumber", &charges)
        .into_iter()
        .filter(|e| e["documentType"] == "Payment")
        .collect();
    assert_eq!(payments.len(), 2, "{payments:#?}");
    for payment in &payments {
        assert_eq!(payment["customerNumber"], number);
        let invoice = world
            .business_central(&format!(
                "salesInvoices?$filter=externalDocumentNumber eq '{}'",
                payment["externalDocumentNumber"].as_str().unwrap()
            ))
            .await;
        assert_eq!(invoice[0]["status"], "Paid", "{invoice:#?}");
    }

    let again = run_backfill(&runner, &job).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 6),
        "{again:?}"
    );
    let entries_again = world.business_central("customerLedgerEntries").await;
    assert_eq!(entries_again.len(), entries.len());
}

fn decimal(value: &Value) -> Decimal {
    value.to_string().parse().unwrap()
}

/// A Stripe customer with a succeeded charge of `amount` minor units in `currency`; the charge id.
async fn charge_in(world: &World, email: &str, amount: i64, currency: &str) -> String {
    let customer = world
        .stripe_post(
            "/v1/customers",
            &format!("email={}&name=Buyer", email.replace('@', "%40")),
        )
        .await;
    let customer = customer["id"].as_str().unwrap();
    let form = format!("amount={amount}&currency={currency}&customer={customer}");
    let charge = world.stripe_post("/v1/sandbox/charges", &form).await;
    charge["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn paid_invoices_are_closed_and_the_books_balance_in_local_currency() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let aud = charge_in(&world, "grace@hopper.example", 12550, "aud").await;
    let jpy = charge_in(&world, "kenji@tanaka.example", 12000, "jpy").await;
    let kwd = charge_in(&world, "fatima@alsabah.example", 12500, "kwd").await;
    let charges = [aud.clone(), jpy.clone(), kwd.clone()];

    let (runner, job, store) = runner(&project, CHARGES_TO_INVOICES).await;
    run(&runner, &job).await;
    assert_no_dead_letters(&store).await;

    // Every invoice was paid by its payment, which left the journal for the ledger.
    let invoices = world.business_central("salesInvoices").await;
    let invoices = ours(&invoices, "externalDocumentNumber", &charges);
    assert_eq!(invoices.len(), 3);
    for invoice in &invoices {
        assert_eq!(invoice["status"], "Paid", "{invoice:#}");
        assert_eq!(decimal(&invoice["remainingAmount"]), Decimal::ZERO);
    }
    let unposted = world.business_central("customerPayments").await;
    assert!(ours(&unposted, "externalDocumentNumber", &charges).is_empty());
    let entries = world.business_central("customerLedgerEntries").await;
    let payments: Vec<&Value> = ours(&entries, "externalDocumentNumber", &charges)
        .into_iter()
        .filter(|e| e["documentType"] == "Payment")
        .collect();
    assert_eq!(payments.len(), 3, "{entries:#?}");
    assert!(payments.iter().all(|p| p["open"] == false));

    // The trial balance is zero, and the customers owe nothing.
    let ledger = world.business_central("generalLedgerEntries").await;
    let sum = |key: &str| -> Decimal { ledger.iter().map(|e| decimal(&e[key])).sum() };
    assert_eq!(sum("debitAmount") - sum("creditAmount"), Decimal::ZERO);
    let customers = world.business_central("customers").await;
    for email in [
        "grace@hopper.example",
        "kenji@tanaka.example",
        "fatima@alsabah.example",
    ] {
        let customer = customers.iter().find(|c| c["email"] == email).unwrap();
        assert_eq!(
            decimal(&customer["balanceDue"]),
            Decimal::ZERO,
            "{customer:#}"
        );
    }

    // Yen and dinars are booked in Australian dollars at the rate, the amount in the document's
    // currency beside it on the customer's entry.
    for (charge, currency, amount, local) in [
        (&jpy, "JPY", Decimal::new(12000, 0), Decimal::new(12180, 2)),
        (&kwd, "KWD", Decimal::new(12500, 3), Decimal::new(6195, 2)),
    ] {
        let invoice = invoices
            .iter()
            .find(|i| i["externalDocumentNumber"] == charge.as_str())
            .unwrap();
        assert_eq!(invoice["currencyCode"], currency);
        let number = invoice["number"].as_str().unwrap();
        let entry = entries
            .iter()
            .find(|e| e["documentType"] == "Invoice" && e["documentNumber"] == number)
            .unwrap();
        assert_eq!(entry["currencyCode"], currency);
        assert_eq!(decimal(&entry["amount"]), amount);
        assert_eq!(decimal(&entry["amountLocalCurrency"]), local);
        let receivable = ledger
            .iter()
            .find(|e| e["documentNumber"] == number && e["accountNumber"] == "13100")
            .unwrap();
        assert_eq!(decimal(&receivable["debitAmount"]), local, "{receivable:#}");
    }

    // Running again finds every payment posted: nothing is written or posted twice.
    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
    assert_eq!(
        world.business_central("generalLedgerEntries").await.len(),
        ledger.len()
    );
    assert_eq!(
        world.business_central("customerLedgerEntries").await.len(),
        entries.len()
    );
}

/// The sandbox with one customer (`email`, form-encoded) and one charge of `amount` cents by it.
async fn one_charge(email: &str, amount: i64) -> (World, std::path::PathBuf, Vec<String>) {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let customer = world
        .stripe_post("/v1/customers", &format!("email={email}&name=Payer"))
        .await;
    let charges = world
        .sandbox_charges(&[amount], customer["id"].as_str())
        .await;
    (world, project, charges)
}

/// A closed period: Business Central refuses to post the invoice. The record is dead-lettered
/// with Business Central's own message, what was written is left as a draft the letter accounts
/// for, and a replay after the period is opened posts that draft and pays it, writing nothing
/// twice.
#[tokio::test]
async fn a_closed_period_dead_letters_the_charge_and_a_replay_after_opening_it_completes_it() {
    let (world, project, charges) = one_charge("ada%40closed.example", 4200).await;
    // Every period up to the end of 2000 is open; the charge's day is not.
    world
        .business_central_emulator
        .allow_posting(None, Some("2000-12-31"));

    let (runner, job, store) = runner(&project, CHARGES_TO_INVOICES).await;
    let report = run(&runner, &job).await;
    assert_eq!(report.dead_lettered, 1, "{report:?}");
    let letter = closed_period_letter(&store).await;
    let invoices = world.business_central("salesInvoices").await;
    let drafts = ours(&invoices, "externalDocumentNumber", &charges);
    assert_eq!(drafts.len(), 1, "{drafts:#?}");
    assert_eq!(drafts[0]["status"], "Draft", "nothing was posted");
    let entries = world.business_central("customerLedgerEntries").await;
    assert!(ours(&entries, "externalDocumentNumber", &charges).is_empty());

    world.business_central_emulator.allow_posting(None, None);
    let replayed = runner.replay(&job, &letter).await.unwrap();
    assert!(
        matches!(replayed, ferry::runtime::Replayed::Resolved(_)),
        "{replayed:?}"
    );
    let invoices = world.business_central("salesInvoices").await;
    let invoices = ours(&invoices, "externalDocumentNumber", &charges);
    assert_eq!(
        invoices.len(),
        1,
        "one invoice, not a second: {invoices:#?}"
    );
    assert_eq!(invoices[0]["status"], "Paid", "{invoices:#?}");
    let payments = ledger_payments(&world, &charges).await;
    assert_eq!(payments.len(), 1, "{payments:#?}");
    assert_no_dead_letters(&store).await;

    let again = run_backfill(&runner, &job).await;
    assert_eq!((again.created, again.updated), (0, 0), "{again:?}");
}

/// A payment line another record left in the journal (a process killed between writing and
/// posting it) makes the journal busy: the charge's own payment line comes out again and the
/// run stops to be tried later, rather than dead-lettering the charge. Once the other line is
/// gone, the next run pays the charge, once.
#[tokio::test]
async fn a_busy_payment_journal_is_waited_out_not_dead_lettered() {
    let (world, project, charges) = one_charge("lin%40busy.example", 3300).await;
    let (journal, stray) = world.stray_payment_line().await;

    let (runner, job, store) = runner(&project, CHARGES_TO_INVOICES).await;
    run_into_busy_journal(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    let lines = world
        .business_central(&format!(
            "customerPaymentJournals({journal})/customerPayments"
        ))
        .await;
    assert_eq!(lines.len(), 1, "only the other line is left: {lines:#?}");
    assert_eq!(lines[0]["id"], stray["id"]);

    // Someone deals with the other line (here: deletes it); the next run pays the charge.
    world.delete_payment_line(&journal, &stray).await;
    run(&runner, &job).await;
    assert_no_dead_letters(&store).await;
    let payments = ledger_payments(&world, &charges).await;
    assert_eq!(payments.len(), 1, "{payments:#?}");
    let invoices = world.business_central("salesInvoices").await;
    let invoices = ours(&invoices, "externalDocumentNumber", &charges);
    assert_eq!(
        (invoices.len(), &invoices[0]["status"]),
        (1, &serde_json::json!("Paid"))
    );
}
