//! The books proof's story told through `ferry serve`, and the books read back after it.

pub mod books;
pub mod serve;
pub mod story;
pub mod syspro;
pub mod syspro_books;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry::project::Secret;
use ferry::sandbox::business_central::BusinessCentralConfig;
use ferry::sandbox::stripe::{StripeOptions, WebhookDelivery, WebhookEndpoint};
use serde_json::Value;

use crate::run_support::serve::WEBHOOK_SECRET;
use crate::run_support::{
    World, assert_no_dead_letters, run_backfill, runners, unlimited_project, world_from,
};
use serve::{PIPELINES, Serve};
use story::Story;

/// How many customers and charges (`FERRY_PROOF_CUSTOMERS`, `FERRY_PROOF_CHARGES`; CI: 20
/// and 200, `scripts/proof.sh`: 200 and 2,000).
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub customers: u64,
    pub charges: u64,
    pub seed: u64,
}

pub fn size() -> Size {
    let seed = crate::proof_support::size().seed;
    let number = |name: &str, default: u64| match std::env::var(name) {
        Ok(text) => text
            .trim()
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a whole number")),
        Err(_) => default,
    };
    let size = Size {
        customers: number("FERRY_PROOF_CUSTOMERS", 20),
        charges: number("FERRY_PROOF_CHARGES", 200),
        seed,
    };
    eprintln!("books size: {size:?}");
    size
}

/// The emulators, with Stripe sending every webhook twice and in shuffled order, and Business
/// Central without its request limit (the full size writes more than it allows in five minutes).
pub async fn chaos_world(seed: u64) -> World {
    chaos_world_from(
        seed,
        |stripe| stripe,
        |builder| {
            builder.business_central(BusinessCentralConfig {
                rate_limit: u32::MAX,
                ..BusinessCentralConfig::default()
            })
        },
    )
    .await
}

/// The emulators with Stripe sending every webhook twice and in shuffled order, its options and
/// the other emulators as `stripe` and `configure` make them.
pub async fn chaos_world_from(
    seed: u64,
    stripe: impl FnOnce(StripeOptions) -> StripeOptions,
    configure: impl FnOnce(ferry::sandbox::SandboxBuilder) -> ferry::sandbox::SandboxBuilder,
) -> World {
    let options = StripeOptions {
        seed: Some(seed),
        rate_limit: None,
        seed_customers: 0,
        seed_charges: 0,
        seed_products: 0,
        webhook_delivery: WebhookDelivery {
            duplicate_rate: 1.0,
            shuffle: true,
            first_retry_delay: Duration::from_millis(50),
            max_attempts: 12,
            ..WebhookDelivery::default()
        },
        ..StripeOptions::default()
    };
    world_from(stripe(options), configure).await
}

/// The project for `world`, its payouts journalled in GENERAL.
pub fn books_project(world: &World) -> PathBuf {
    let project = unlimited_project(world);
    let mut text = std::fs::read_to_string(&project).unwrap();
    text.push_str("    journal: GENERAL\n");
    std::fs::write(&project, text).unwrap();
    project
}

pub fn subscribe(world: &World, serve: &Serve) {
    world.stripe.add_webhook_endpoint(WebhookEndpoint::new(
        serve.webhook_url(),
        Secret::new(WEBHOOK_SECRET),
    ));
}

/// Waits (at most 10 minutes) until the inbox holds nothing open and `done` holds.
pub async fn settle(serve: &Serve, what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(600) {
        if serve.open_events().await == 0 && done().await {
            eprintln!("{what}: {:?}", started.elapsed());
            return;
        }
        // A dead letter means what is waited for will not happen: say why at once.
        let letters = serve.dead_letters().await;
        assert!(letters.is_empty(), "waiting for {what}: {letters:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen in 10 minutes\n{}", serve.log_tail());
}

/// Waits until Stripe has delivered everything (duplicates included) and serve has done it all.
pub async fn quiet(world: &World, serve: &Serve) {
    let mut last = world.stripe.webhook_stats();
    let mut steady = 0;
    while steady < 10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = world.stripe.webhook_stats();
        let open = serve.open_events().await;
        steady = if now == last && open == 0 {
            steady + 1
        } else {
            0
        };
        last = now;
    }
}

fn external_numbers(entities: &[Value], ids: &BTreeSet<String>, kind: &str) -> usize {
    entities
        .iter()
        .filter(|e| kind.is_empty() || e["documentType"] == kind)
        .filter(|e| {
            e["externalDocumentNumber"]
                .as_str()
                .is_some_and(|n| ids.contains(n))
        })
        .count()
}

async fn credit_memos(world: &World) -> usize {
    world
        .business_central("salesCreditMemos")
        .await
        .iter()
        .filter(|m| {
            m["externalDocumentNumber"]
                .as_str()
                .is_some_and(|n| n.starts_with("re_"))
        })
        .count()
}

/// Tells the story through `serve`: customers (synced, their currencies recorded), charges,
/// Stripe invoices and subscriptions, first refunds, late refunds, disputes closed, payouts, each
/// waited for. `midway` runs once the charges are
/// made, while their events are being processed.
pub async fn tell(
    world: &World,
    serve: &mut Serve,
    size: Size,
    midway: impl AsyncFnOnce(&mut Serve),
) -> (Story, BTreeMap<String, String>) {
    let mut story = Story::new(size.seed);
    story.customers(world, size.customers).await;
    settle(serve, "customers synced", async || {
        books::customer_currencies(world).await.len() as u64 == size.customers
    })
    .await;
    let currencies = books::customer_currencies(world).await;

    story.charges(world, size.charges).await;
    story.invoices(world, (size.charges / 10).max(2)).await;
    story
        .subscriptions(world, (size.customers / 4).max(2))
        .await;
    midway(serve).await;
    let charges: BTreeSet<String> = story.charges.iter().map(|c| c.id.clone()).collect();
    let charges = &charges;
    settle(serve, "charges invoiced and paid", async || {
        let entries = world.business_central("customerLedgerEntries").await;
        external_numbers(&entries, charges, "Payment") == charges.len()
    })
    .await;

    let partial = story.first_refunds(world).await;
    let refunds = story.refunds as usize;
    settle(serve, "first refunds credited", async || {
        credit_memos(world).await == refunds
    })
    .await;
    story.late_refunds(world, &partial).await;
    let refunds = (story.refunds + story.late_refunds) as usize;
    settle(serve, "late refunds credited", async || {
        credit_memos(world).await == refunds
    })
    .await;

    story.close_disputes(world).await;
    story.payouts(world).await;
    let payouts = story.payouts.len();
    settle(serve, "payouts journalled", async || {
        let entries = world.business_central("generalLedgerEntries").await;
        let documents: BTreeSet<&str> = entries
            .iter()
            .filter_map(|e| e["documentNumber"].as_str())
            .filter(|n| n.starts_with("po_"))
            .collect();
        documents.len() == payouts
    })
    .await;
    quiet(world, serve).await;
    (story, currencies)
}

/// Check 6: each pipeline run again over every Stripe event writes nothing, and no store holds
/// a dead letter.
pub async fn rerun_writes_nothing(project: &std::path::Path) {
    rerun_writes_nothing_of(project, PIPELINES).await
}

/// Check 6 for the pipeline files `pipelines` (every pipeline of each file).
pub async fn rerun_writes_nothing_of(project: &std::path::Path, pipelines: &[&str]) {
    for file in pipelines {
        let (runner, jobs, store) = runners(project, file).await;
        for job in &jobs {
            let report = run_backfill(&runner, job).await;
            assert_eq!(
                (report.created, report.updated, report.dead_lettered),
                (0, 0, 0),
                "a rerun of {file} wrote: {report:?}"
            );
        }
        assert_no_dead_letters(&store).await;
    }
}
