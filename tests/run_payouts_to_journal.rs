//! Stripe `payout.paid` into a Business Central general journal: the pipeline fetches the
//! payout's balance transactions from the Stripe emulator and writes one journal line per
//! movement and fee, which balance to the cent; running again writes nothing.

mod run_support;

use run_support::*;
use rust_decimal::Decimal;
use serde_json::Value;

const PAYOUTS_TO_JOURNAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_payouts_to_business_central.ferry"
);

fn amount(line: &Value) -> Decimal {
    line["amount"].to_string().parse().unwrap()
}

#[tokio::test]
async fn a_payout_with_refunds_fees_and_adjustments_becomes_a_balanced_journal_once() {
    let world = world_seeded(None, None, Some(7)).await;
    let (project, journal) = world.project_with_journal(1000).await;

    let charges = world.sandbox_charges(&[12550, 990, 43000], None).await;
    let payout = world
        .stripe_post(
            "/v1/sandbox/payouts",
            &format!(
                "currency=aud&refunds[0][charge]={}&refunds[0][amount]=2550\
             &adjustments[0][amount]=-1500&adjustments[0][description]=Dispute\
             &fees[0][amount]=999&fees[0][description]=Radar",
                charges[0]
            ),
        )
        .await;
    let payout_id = payout["id"].as_str().unwrap().to_string();
    let payout_amount = Decimal::new(payout["amount"].as_i64().unwrap(), 2);

    let (runner, job, store) = runner(&project, PAYOUTS_TO_JOURNAL).await;
    let report = run(&runner, &job).await;
    assert_no_dead_letters(&store).await;

    let path = format!("journals({journal})/journalLines");
    let lines: Vec<Value> = world
        .business_central(&path)
        .await
        .into_iter()
        .filter(|line| line["externalDocumentNumber"] == payout_id.as_str())
        .collect();
    // Bank, three charges, a refund, an adjustment, a Radar fee, three processing fees.
    assert_eq!(lines.len(), 10, "{lines:#?}");
    assert_eq!(report.created, 10, "{report:?}");
    let total: Decimal = lines.iter().map(amount).sum();
    assert_eq!(total, Decimal::ZERO, "{lines:#?}");
    let bank = lines.iter().find(|l| l["lineNumber"] == 10000).unwrap();
    assert_eq!(amount(bank), payout_amount);
    assert_eq!(bank["accountNumber"], "10100");
    let refund = lines
        .iter()
        .find(|l| l["description"].as_str().unwrap().starts_with("refund"))
        .unwrap();
    assert_eq!(amount(refund), Decimal::new(2550, 2));

    let again = run_backfill(&runner, &job).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 10),
        "{again:?}"
    );
    let after: Vec<Value> = world
        .business_central(&path)
        .await
        .into_iter()
        .filter(|line| line["externalDocumentNumber"] == payout_id.as_str())
        .collect();
    assert_eq!(after.len(), 10);
}
