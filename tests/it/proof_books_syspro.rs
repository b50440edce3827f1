//! Proof 7 for Syspro, the books: a seeded story of Stripe customers paying in five of the
//! Syspro company's currencies (AUD, its local one; USD, NZD and GBP, whose rates Syspro
//! multiplies by; EUR, whose rate it divides by), card charges (`POST /v1/charges`), partial and
//! full refunds, late second refunds (made after the first refund's event was processed),
//! disputes (lost and won) and one payout per currency with a Radar fee, delivered to
//! `ferry serve` by a Stripe emulator that sends every webhook twice and in shuffled order. The
//! shipped Syspro pipelines keep Syspro's books, and at the end, read back from its emulator:
//!
//! 1. the general ledger's trial balance sums to zero, and every journal balances (the payout
//!    journals, and those the receivables post: invoices, payments, credit notes, refunds);
//! 2. every charge is one sales order in its currency, invoiced for the charge, paid by one ARSTPY
//!    payment into the Stripe bank, and its invoice's balance is zero;
//! 3. one credit note (ARSTIN) and one refund payment (a negative ARSTPY payment) per refund, on
//!    the charge's invoice; per currency the credit notes sum to Stripe's refunds, and so do the
//!    refund payments;
//! 4. every customer's balance is zero, and so is receivables control; no customer's currency
//!    changed after the sync;
//! 5. the Stripe clearing account nets to zero in every currency (payments in and refunds out at
//!    Syspro's rate, each payout's lines at the same rate), the fees account holds Stripe's fees
//!    and the adjustments account what the lost disputes cost, at Syspro's rates;
//! 6. each pipeline run again over every event writes nothing; no dead letters; and a
//!    reconcile of every Syspro pipeline is clean.
//!
//! The second test tells the same story to the real `ferry serve` binary, killed with SIGKILL
//! while the charges' events are being processed and started again.
//!
//! Left out of the Syspro story: Stripe invoices and subscriptions (ferry ships no Syspro flow
//! for them: a charge that pays a Stripe invoice would be booked as a sales order of its own, and
//! Syspro has no subscription to link), and JPY and KWD (not in the Syspro company's currency
//! table; Syspro's AR values are kept to two decimals, so a three-decimal KWD amount could not
//! be booked as Stripe holds it).
//!
//! Size: `FERRY_PROOF_CUSTOMERS` customers and `FERRY_PROOF_CHARGES` charges (CI: 20 and 200;
//! `scripts/proof.sh`: 200 and 2,000); `FERRY_PROOF_SEED` repeats a run.

use crate::books_support;
use crate::proof_support;
use crate::reconcile_money::reconcile;
use crate::run_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use books_support::serve::Serve;
use books_support::story::Story;
use books_support::syspro::{PIPELINES, project, tell, world};
use books_support::syspro_books::{Figures, check};
use books_support::{rerun_writes_nothing_of, size};
use proof_support::Report;
use run_support::World;
use rust_decimal::Decimal;

fn summary(report: &mut Report, figures: &Figures, story: &Story) {
    let by_currency = |map: &BTreeMap<String, Decimal>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    report
        .figure("customers", story.customers.len())
        .figure("charges", story.charges.len())
        .figure("refunds", story.refunds)
        .figure("late_refunds", story.late_refunds)
        .figure("payouts", story.payouts.len())
        .figure("gl_rows", figures.gl_rows)
        .figure("gl_journals", figures.gl_journals)
        .figure("debits_aud", figures.debits_aud.to_string())
        .figure("sales_orders", figures.orders)
        .figure("invoices_paid", figures.invoices_paid)
        .figure("credit_notes", figures.credit_notes)
        .figure("refund_payments", figures.refund_payments)
        .figure("refunded", by_currency(&figures.refunds_by_currency))
        .figure("customers_at_zero", figures.customers_at_zero)
        .figure(
            "clearing_net_aud",
            by_currency(&figures.clearing_by_currency),
        )
        .figure("fees_aud", figures.fees_aud.to_string())
        .figure("disputes_lost", figures.disputes_lost)
        .figure("disputes_won", figures.disputes_won)
        .figure("disputes_lost_aud", figures.disputes_lost_aud.to_string())
        .figure("bank_aud", figures.bank_aud.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syspros_books_balance_after_duplicated_and_shuffled_webhooks() {
    let size = size();
    let mut report = Report::new("books: Syspro through ferry serve");
    let world = world(size.seed).await;
    let project = project(&world);
    let mut serve = Serve::in_process_running(&project, PIPELINES).await;
    books_support::subscribe(&world, &serve);
    let (story, currencies) = tell(&world, &mut serve, size, async |_| {}).await;
    serve.stop().await;
    assert_eq!(world.stripe.webhook_stats().abandoned, 0);
    let figures = books_are_right(&world, &project, &story, &currencies).await;
    summary(&mut report, &figures, &story);
    report.passed();
}

/// The same story told to the real `ferry serve` binary, killed with SIGKILL once the customers'
/// events and about half the charges' are done, and started again: Stripe retries what went
/// unanswered, and the books come out the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syspros_books_balance_after_ferry_serve_is_killed_midway() {
    let size = size();
    let mut report = Report::new("books: Syspro, ferry serve killed");
    let world = world(size.seed).await;
    let project = project(&world);
    let mut serve = Serve::process_running(&project, PIPELINES).await;
    books_support::subscribe(&world, &serve);
    let at = (size.customers + size.charges / 2) as i64;
    let (story, currencies) = tell(&world, &mut serve, size, async |serve| {
        serve.kill_once_done(at, Duration::from_millis(200)).await
    })
    .await;
    let kills = serve.stop().await;
    assert_eq!(
        world.stripe.webhook_stats().abandoned,
        0,
        "Stripe gave up on an event while serve was down"
    );
    let figures = books_are_right(&world, &project, &story, &currencies).await;
    summary(&mut report, &figures, &story);
    report.figure("events_done_at_kill", kills).passed();
}

/// Checks 1 to 6 against what Syspro holds, and that the books reconcile clean; the figures.
async fn books_are_right(
    world: &World,
    project: &Path,
    story: &Story,
    currencies: &BTreeMap<String, String>,
) -> Figures {
    let figures = check(world, story, currencies).await;
    eprintln!("{figures:#?}");
    let off: Vec<_> = figures
        .clearing_by_currency
        .iter()
        .filter(|(_, net)| !net.is_zero())
        .collect();
    assert!(
        off.is_empty(),
        "Stripe clearing (1150) does not net to zero in every currency (AUD): {:?}",
        figures.clearing_by_currency
    );
    assert_eq!(
        figures.clearing_by_currency.len(),
        story.currencies.len(),
        "clearing holds every currency and nothing unknown: {:?}",
        figures.clearing_by_currency
    );
    rerun_writes_nothing_of(project, PIPELINES).await;
    // Books that are right reconcile clean: each pipeline's writes compared with what Syspro
    // holds (orders, payments, credit notes and refund payments, the payouts' journals in the
    // ledger) finds nothing to report.
    let (code, reconciled, stderr) = reconcile(project.parent().unwrap(), PIPELINES).await;
    assert_eq!(
        reconciled["rows"],
        serde_json::json!([]),
        "{reconciled:#}\n{stderr}"
    );
    assert_eq!(
        reconciled["summary"]["errors"],
        serde_json::json!([]),
        "{reconciled:#}"
    );
    assert_eq!(code, Some(0), "{reconciled:#}\n{stderr}");
    figures
}
