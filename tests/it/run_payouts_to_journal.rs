//! Stripe `payout.paid` into a Business Central general journal: the pipeline fetches the
//! payout's balance transactions from the Stripe emulator, writes one journal line per movement
//! and fee, which balance to the cent, and posts the journal, so that the lines become general
//! ledger entries. Running again, or again after a post that failed or whose answer was lost,
//! posts each payout exactly once.

use crate::run_support;

use ferry::runtime::{Job, PipelineReport, Replayed, RunOptions, Runner};
use ferry::sandbox::business_central::posting::JournalPostFault;
use ferry::store::{AuditFilter, DeadLetterFilter, Operation, Store};
use run_support::*;
use rust_decimal::Decimal;
use serde_json::Value;

const PAYOUTS_TO_JOURNAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/pipelines/stripe_payouts_to_business_central.ferry"
);

fn decimal(value: &Value) -> Decimal {
    value.to_string().parse().unwrap()
}

/// A sandbox with the general journal as the connection's journal, and a payout of three
/// charges with a refund, a dispute adjustment and a Radar fee.
struct Case {
    world: World,
    project: std::path::PathBuf,
    journal: String,
    payout: String,
    paid: Decimal,
}

impl Case {
    /// `fault` is what the first journal post meets.
    async fn new(fault: Option<JournalPostFault>) -> Case {
        let world = world_seeded(None, None, Some(7)).await;
        let (project, journal) = world.project_with_journal(1000).await;
        let charges = world.sandbox_charges(&[12550, 990, 43000], None).await;
        let payout = world.sandbox_payout(&charges[0]).await;
        if let Some(fault) = fault {
            world
                .business_central_emulator
                .fail_next_journal_post(fault);
        }
        Case {
            paid: Decimal::new(payout["amount"].as_i64().unwrap(), 2),
            payout: payout["id"].as_str().unwrap().to_string(),
            world,
            project,
            journal,
        }
    }

    /// A runner in a new process, as after a crash.
    async fn runner(&self) -> (Runner, Job, Store) {
        runner(&self.project, PAYOUTS_TO_JOURNAL).await
    }

    /// The journal's lines and the ledger's entries of the payout (document number: its first
    /// 20 characters).
    async fn journal_and_ledger(&self) -> (Vec<Value>, Vec<Value>) {
        let path = format!("journals({})/journalLines", self.journal);
        let lines = self.world.business_central(&path).await;
        let lines = lines
            .into_iter()
            .filter(|line| line["externalDocumentNumber"] == self.payout.as_str())
            .collect();
        let document = &self.payout[..20];
        let entries = self.world.business_central("generalLedgerEntries").await;
        let entries = entries
            .into_iter()
            .filter(|entry| entry["documentNumber"] == document)
            .collect();
        (lines, entries)
    }

    /// The journal holds none of the payout's lines, and the ledger ten entries (bank, three
    /// charges, a refund, an adjustment, a Radar fee, three processing fees) whose debits equal
    /// their credits, the bank's debit the payout; `store` audited `posts` posts.
    async fn assert_posted_once(&self, store: &Store, posts: usize) {
        let (lines, entries) = self.journal_and_ledger().await;
        assert!(
            lines.is_empty(),
            "posted lines leave the journal: {lines:#?}"
        );
        assert_eq!(entries.len(), 10, "{entries:#?}");
        let sum = |key: &str| -> Decimal { entries.iter().map(|e| decimal(&e[key])).sum() };
        assert_eq!(sum("debitAmount"), sum("creditAmount"), "{entries:#?}");
        let bank: Vec<&Value> = entries
            .iter()
            .filter(|e| e["accountNumber"] == "10100")
            .collect();
        assert_eq!(bank.len(), 1, "{entries:#?}");
        assert_eq!(decimal(&bank[0]["debitAmount"]), self.paid);
        assert_eq!(bank[0]["postingDate"].as_str().unwrap().len(), 10);
        let refund = entries
            .iter()
            .find(|e| e["description"].as_str().unwrap().starts_with("refund"))
            .unwrap();
        assert_eq!(decimal(&refund["debitAmount"]), Decimal::new(2550, 2));
        assert_no_dead_letters(store).await;
        assert_eq!(
            audited(store, "business_central.journals", Operation::Update).await,
            posts
        );
    }
}

async fn run_expecting_failure(runner: &Runner, job: &Job) {
    let outcome = runner.run(job, &RunOptions::default(), &()).await;
    assert!(outcome.is_err(), "the run should stop at the failed post");
}

async fn audited(store: &Store, target: &str, operation: Operation) -> usize {
    let entries = store.audit_entries(&AuditFilter::default()).await.unwrap();
    entries
        .iter()
        .filter(|e| e.target == target && e.operation == operation)
        .count()
}

fn assert_unchanged(report: &PipelineReport) {
    let counts = (report.created, report.updated, report.unchanged);
    assert_eq!(counts, (0, 0, 10), "{report:?}");
}

#[tokio::test]
async fn a_payout_with_refunds_fees_and_adjustments_is_posted_as_a_balanced_journal_once() {
    let case = Case::new(None).await;
    let (runner, job, store) = case.runner().await;
    let report = run(&runner, &job).await;
    assert_eq!(report.created, 10, "{report:?}");
    case.assert_posted_once(&store, 1).await;

    assert_unchanged(&run_backfill(&runner, &job).await);
    case.assert_posted_once(&store, 1).await;
}

#[tokio::test]
async fn a_post_that_failed_after_the_lines_were_written_is_posted_by_the_rerun() {
    let case = Case::new(Some(JournalPostFault::Refused)).await;
    let (runner, job, store) = case.runner().await;
    run_expecting_failure(&runner, &job).await;
    let (lines, entries) = case.journal_and_ledger().await;
    assert_eq!(lines.len(), 10, "written, not posted");
    assert!(entries.is_empty());

    // A new process, as after a crash between the lines and the post.
    let (runner, job, _) = case.runner().await;
    assert_unchanged(&run(&runner, &job).await);
    case.assert_posted_once(&store, 1).await;
}

#[tokio::test]
async fn a_post_whose_answer_was_lost_is_found_in_the_ledger_and_never_repeated() {
    // Posted, but answered 500: the ledger tells that the post happened.
    let case = Case::new(Some(JournalPostFault::Lost)).await;
    let (runner, job, store) = case.runner().await;
    let report = run(&runner, &job).await;
    assert_eq!(report.created, 10, "{report:?}");
    case.assert_posted_once(&store, 1).await;
    assert_eq!(
        audited(&store, "business_central.journalLines", Operation::Create).await,
        10
    );

    // A crash after the post and before the store's commit, at worst with the store lost:
    // nothing links the payout to its lines, which are gone from the journal.
    let text = std::fs::read_to_string(&case.project).unwrap();
    std::fs::write(
        &case.project,
        text.replace("state.db", "after-the-crash.db"),
    )
    .unwrap();
    let (runner, job, store) = case.runner().await;
    assert_unchanged(&run(&runner, &job).await);
    case.assert_posted_once(&store, 0).await;
}

#[tokio::test]
async fn a_journal_holding_other_lines_is_not_posted_and_the_payout_waits_in_the_dead_letters() {
    let case = Case::new(None).await;
    let lines = format!("journals({})/journalLines", case.journal);
    let stranger = case
        .world
        .business_central_post(
            &lines,
            serde_json::json!({
                "accountNumber": "10100", "amount": 5, "documentNumber": "BY-HAND",
                "postingDate": "2025-11-01", "description": "typed in by hand",
            }),
        )
        .await;

    let (runner, job, store) = case.runner().await;
    run(&runner, &job).await;
    let letters = store
        .dead_letters(&DeadLetterFilter::default())
        .await
        .unwrap();
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0].error_code, "journal_holds_other_lines");
    assert!(letters[0].error_message.contains("BY-HAND"), "{letters:#?}");
    let (ours, entries) = case.journal_and_ledger().await;
    assert!(
        ours.is_empty(),
        "the payout's lines are taken out again: {ours:#?}"
    );
    assert!(entries.is_empty());
    let deleted = audited(&store, "business_central.journalLines", Operation::Delete).await;
    assert_eq!(deleted, 10);

    let id = stranger["id"].as_str().unwrap();
    case.world
        .business_central_delete(&format!("{lines}({id})"))
        .await;
    let replayed = runner.replay(&job, &letters[0]).await.unwrap();
    assert_eq!(replayed, Replayed::Resolved(Some(Operation::Create)));
    case.assert_posted_once(&store, 1).await;
}
