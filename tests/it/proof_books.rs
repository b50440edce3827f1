//! Proof 7, the books: a seeded story of Stripe customers paying in five currencies (AUD, USD,
//! EUR, JPY with no decimals, KWD with three), card charges (`POST /v1/charges`), Stripe invoices
//! (finalized and paid) and monthly subscriptions (their first period billed and charged), partial
//! and full refunds of any of those charges, late second refunds (made after the first refund's
//! event was processed), disputes (one in a hundred charges, half lost and half won) and one
//! payout per currency with a Radar fee, delivered to `ferry serve`
//! by a Stripe emulator that sends every webhook twice and in shuffled order. The six finance
//! pipelines keep Business Central's books, and at the end:
//!
//! 1. the trial balance sums to zero;
//! 2. every sale is one sales invoice (a card charge's own, or the Stripe invoice's a charge
//!    paid, and then none of the charge's own), `Paid`, nothing remaining;
//! 3. one credit memo per refund, and per currency the memos sum to Stripe's refunds;
//! 4. no customer's currency changed after the customer sync;
//! 5. every subscriber's customer links its subscription; the Stripe clearing account (10950)
//!    nets to zero in every currency once everything is paid out, and the adjustments account
//!    (68900) holds exactly what the lost disputes cost (a won dispute nets to nothing);
//! 6. each pipeline run again over every event writes nothing; no dead letters.
//!
//! The second test tells the same story to the real `ferry serve` binary, killed with SIGKILL
//! while the charges' events are being processed and started again.
//!
//! Size: `FERRY_PROOF_CUSTOMERS` customers and `FERRY_PROOF_CHARGES` charges (CI: 20 and 200;
//! `scripts/proof.sh`: 200 and 2,000); `FERRY_PROOF_SEED` repeats a run.

use crate::books_support;
use crate::proof_support;

use std::time::Duration;

use books_support::books::{Figures, check};
use books_support::serve::Serve;
use books_support::{books_project, chaos_world, rerun_writes_nothing, size, subscribe, tell};
use proof_support::Report;
use rust_decimal::Decimal;

/// Check 5: what Stripe paid out left nothing in clearing. Every refund was paid back out of the
/// customer's balance through clearing (a refund payment per refund, late ones included), and the
/// clearing account nets to zero in every currency: payments went into it at Business Central's
/// exchange rate, and the payout pipeline converts its lines at the same rate (API v2.0 journal
/// lines carry no currency).
fn assert_clearing_nets_to_zero(figures: &Figures) {
    let unpaid = &figures.refunds_not_paid_back;
    let message = format!(
        "the Stripe clearing account (10950) by currency (LCY): {:?}; refunded by currency \
         (LCY): {:?}; {} of {} refunds have no refund payment in clearing (first: {:?})",
        figures.clearing_by_currency,
        figures.refunds_lcy_by_currency,
        unpaid.len(),
        figures.credit_memos,
        &unpaid[..unpaid.len().min(5)],
    );
    assert!(unpaid.is_empty(), "every refund is paid back: {message}");
    let off: Vec<_> = figures
        .clearing_by_currency
        .iter()
        .filter(|(_, net)| !net.is_zero())
        .collect();
    assert!(
        off.is_empty(),
        "clearing nets to zero in every currency: {message}"
    );
}

fn summary(report: &mut Report, figures: &Figures, story: &books_support::story::Story) {
    let by_currency = |map: &std::collections::BTreeMap<String, Decimal>| {
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
        .figure("general_ledger_entries", figures.general_ledger_entries)
        .figure("debits_aud", figures.debits.to_string())
        .figure("invoices_paid", figures.invoices_paid)
        .figure("stripe_invoices", figures.stripe_invoices)
        .figure("subscriptions_linked", figures.subscriptions_linked)
        .figure("disputes_lost", figures.disputes_lost)
        .figure("disputes_won", figures.disputes_won)
        .figure("disputes_lost_lcy", figures.disputes_lost_lcy.to_string())
        .figure("credit_memos", figures.credit_memos)
        .figure("refunded", by_currency(&figures.refunds_by_currency))
        .figure(
            "clearing_net_lcy",
            by_currency(&figures.clearing_by_currency),
        )
        .figure("refunds_not_paid_back", figures.refunds_not_paid_back.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_books_balance_after_duplicated_and_shuffled_webhooks() {
    let size = size();
    let mut report = Report::new("books: ferry serve");
    let world = chaos_world(size.seed).await;
    let project = books_project(&world);
    let mut serve = Serve::in_process(&project).await;
    subscribe(&world, &serve);
    let (story, currencies) = tell(&world, &mut serve, size, async |_| {}).await;
    serve.stop().await;
    assert_eq!(world.stripe.webhook_stats().abandoned, 0);

    let figures = check(&world, &story, &currencies).await;
    eprintln!("{figures:#?}");
    assert_clearing_nets_to_zero(&figures);
    rerun_writes_nothing(&project).await;
    summary(&mut report, &figures, &story);
    report.passed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_books_balance_after_ferry_serve_is_killed_midway() {
    let size = size();
    let mut report = Report::new("books: ferry serve killed");
    let world = chaos_world(size.seed).await;
    let project = books_project(&world);
    let mut serve = Serve::process(&project).await;
    subscribe(&world, &serve);
    // Kill once the customers' events and about half the charges' are done.
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

    let figures = check(&world, &story, &currencies).await;
    eprintln!("{figures:#?}");
    assert_clearing_nets_to_zero(&figures);
    rerun_writes_nothing(&project).await;
    summary(&mut report, &figures, &story);
    report.figure("events_done_at_kill", kills).passed();
}
