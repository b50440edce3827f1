//! Stripe `payout.paid` into Syspro's general ledger: the pipeline builds the payout's journal
//! from its balance transactions, balanced to the cent, and posts it in one GENTJL call; the
//! emulator's ledger is read back. Posted once: a rerun, even with the store lost (the answer of
//! the post never recorded), finds the journal in the ledger by its reference. A journal Syspro
//! refuses is dead-lettered with Syspro's reason, nothing is posted, and a replay after the fix
//! posts it once.

use crate::run_support;

use run_support::*;
use rust_decimal::Decimal;

const PAYOUTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_payouts_to_syspro.ferry"
);

/// The ledger's entries of `payout`: (ledger code, amount).
fn ledger(world: &World, payout: &str) -> Vec<(String, Decimal)> {
    world
        .syspro
        .data()
        .gl
        .iter()
        .filter(|row| row["Reference"] == payout)
        .map(|row| {
            (
                row["LedgerCode"].clone(),
                row["EntryAmount"].parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payout_is_one_balanced_journal_posted_once() {
    let world = world_seeded(None, None, Some(7)).await;
    let project = world.project(1000);
    let dir = project.parent().unwrap();
    let charges = world.sandbox_charges(&[12550, 990, 43000], None).await;
    let payout = world.sandbox_payout(&charges[0]).await;
    let id = payout["id"].as_str().unwrap().to_string();
    let paid = Decimal::new(payout["amount"].as_i64().unwrap(), 2);

    // Syspro refuses the journal: the adjustments ledger code is not in its chart.
    let description = world.syspro.data().ledger_codes.remove("6890").unwrap();
    let run = run_ferry(dir, &["run", PAYOUTS, "--backfill"]).await;
    let summary = text(&run.stdout);
    assert!(
        summary.contains("1 dead-lettered"),
        "{summary}{}",
        text(&run.stderr)
    );
    assert!(ledger(&world, &id).is_empty(), "nothing posted");
    let list = run_ferry(dir, &["dlq", "list", "--json"]).await;
    let letter: serde_json::Value = serde_json::from_str(text(&list.stdout).trim()).unwrap();
    let reason = letter["error_message"].as_str().unwrap();
    assert!(
        reason.contains("GENTJL (Transaction/Post)")
            && reason.contains("JournalDetails: Ledger code '6890' not on file"),
        "{reason}"
    );

    // The code is set up; the replay posts the journal, balanced to the cent.
    world
        .syspro
        .data()
        .ledger_codes
        .insert("6890".into(), description);
    let replay = run_ferry(
        dir,
        &[
            "dlq",
            "replay",
            &letter["id"].to_string(),
            "--from",
            PAYOUTS,
        ],
    )
    .await;
    assert!(
        text(&replay.stdout).contains("1 resolved"),
        "{}{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
    let entries = ledger(&world, &id);
    let total: Decimal = entries.iter().map(|(_, amount)| amount).sum();
    assert_eq!(total, Decimal::ZERO, "{entries:?}");
    assert_eq!(
        entries[0],
        ("1100".to_string(), paid),
        "the bank line first"
    );
    let on = |code: &str| -> Decimal {
        entries
            .iter()
            .filter(|(c, _)| c == code)
            .map(|(_, a)| a)
            .sum()
    };
    // Three charges less a refund of 25.50, credited to clearing.
    assert_eq!(on("1150"), Decimal::new(-12550 - 990 - 43000 + 2550, 2));
    assert_eq!(on("6890"), Decimal::new(1500, 2), "the dispute");
    assert!(on("6210") > Decimal::ZERO, "the fees");
    let journals: std::collections::BTreeSet<String> = world
        .syspro
        .data()
        .gl
        .iter()
        .map(|row| row["GlJournal"].clone())
        .collect();
    assert_eq!(journals.len(), 1, "one journal");

    // Again, and again with the store lost: the ledger holds the journal, nothing is posted.
    let again = run_ferry(dir, &["run", PAYOUTS, "--backfill"]).await;
    assert!(
        text(&again.stdout).contains("0 created"),
        "{}",
        text(&again.stdout)
    );
    std::fs::remove_file(dir.join("state.db")).unwrap();
    let lost = run_ferry(dir, &["run", PAYOUTS, "--backfill"]).await;
    assert!(lost.status.success(), "{}", text(&lost.stderr));
    assert!(
        text(&lost.stdout).contains("0 created"),
        "{}",
        text(&lost.stdout)
    );
    assert_eq!(ledger(&world, &id), entries, "posted once");

    // Reconcile compares the ledger with the journal the payout makes: the same.
    let output = run_ferry(dir, &["reconcile", PAYOUTS, "--format", "json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", text(&output.stderr)));
    assert_eq!(report["rows"], serde_json::json!([]), "{report:#}");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
}
