//! The books proof's story told to Syspro: the emulators, the project, and the story told
//! through `ferry serve` running the shipped Syspro pipelines, each part waited for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ferry::sandbox::stripe::StripeOptions;

use super::serve::Serve;
use super::story::Story;
use super::{Size, chaos_world_from, quiet, settle};
use crate::run_support::{World, unlimited_project};

/// The currencies of the Syspro company's currency table that Stripe customers pay in: the
/// local AUD, and four converted at the table's rates (two multiplied, EUR divided).
pub const CURRENCIES: &[(&str, u32)] =
    &[("aud", 2), ("usd", 2), ("eur", 2), ("nzd", 2), ("gbp", 2)];

/// The Syspro pipeline files the proof serves and reruns.
pub const PIPELINES: &[&str] = &[
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/syspro_customers_and_stripe.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_charges_to_syspro.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_refunds_to_syspro.ferry"
    ),
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pipelines/stripe_payouts_to_syspro.ferry"
    ),
];

/// The emulators, Stripe sending every webhook twice and shuffled; Syspro as it comes (no
/// customers of its own, orders invoiced as imported).
pub async fn world(seed: u64) -> World {
    chaos_world_from(seed, |stripe: StripeOptions| stripe, |builder| builder).await
}

/// The project for `world`, Syspro's e.net service taking as many calls as ferry sends (it
/// publishes no limit; ferry's default of 10 a second would make the proof take minutes).
pub fn project(world: &World) -> PathBuf {
    let project = unlimited_project(world);
    let text = std::fs::read_to_string(&project).unwrap();
    let text = text.replace(
        "    company_id: EDU1\n",
        "    company_id: EDU1\n    rate_limit: { requests: 100000, per: 1s }\n",
    );
    std::fs::write(&project, text).unwrap();
    project
}

/// Syspro customers of the story (by Stripe id) and their currency codes.
pub fn customer_currencies(world: &World, story: &Story) -> BTreeMap<String, String> {
    let ids: BTreeSet<&str> = story.customers.iter().map(|c| c.id.as_str()).collect();
    world
        .syspro
        .data()
        .customers
        .values()
        .filter(|c| ids.contains(c.get("StripeCustomerId")))
        .map(|c| {
            (
                c.get("StripeCustomerId").to_string(),
                c.get("Currency").to_string(),
            )
        })
        .collect()
}

/// How many of `references` Syspro's ArInvoicePay (`payments`) or ArTrnDetail rows hold.
fn posted(world: &World, references: &BTreeSet<String>, credits: bool) -> usize {
    let data = world.syspro.data();
    let rows = if credits {
        &data.credits
    } else {
        &data.payments
    };
    rows.iter()
        .filter(|row| references.contains(row["Reference"].as_str()))
        .map(|row| row["Reference"].as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

fn refund_ids(world: &World) -> BTreeSet<String> {
    world
        .stripe
        .objects("refund")
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// Tells the story through `serve`: customers (synced, their currencies recorded), charges,
/// first refunds, late refunds, disputes closed, one payout per currency, each waited for.
pub async fn tell(
    world: &World,
    serve: &mut Serve,
    size: Size,
    midway: impl AsyncFnOnce(&mut Serve),
) -> (Story, BTreeMap<String, String>) {
    let mut story = Story::in_currencies(size.seed, CURRENCIES, true);
    story.customers(world, size.customers).await;
    settle(serve, "customers synced", async || {
        customer_currencies(world, &story).len() as u64 == size.customers
    })
    .await;
    let currencies = customer_currencies(world, &story);

    story.charges(world, size.charges).await;
    midway(serve).await;
    let charges: BTreeSet<String> = story.charges.iter().map(|c| c.id.clone()).collect();
    let charges = &charges;
    settle(serve, "charges ordered, invoiced and paid", async || {
        posted(world, charges, false) == charges.len()
    })
    .await;

    let partial = story.first_refunds(world).await;
    let refunds = refund_ids(world);
    settle(serve, "first refunds credited and paid back", async || {
        posted(world, &refunds, true) == refunds.len()
            && posted(world, &refunds, false) == refunds.len()
    })
    .await;
    story.late_refunds(world, &partial).await;
    let refunds = refund_ids(world);
    settle(serve, "late refunds credited and paid back", async || {
        posted(world, &refunds, true) == refunds.len()
            && posted(world, &refunds, false) == refunds.len()
    })
    .await;

    story.close_disputes(world).await;
    story.payouts(world).await;
    let payouts: BTreeSet<String> = story.payouts.iter().cloned().collect();
    settle(serve, "payouts journalled", async || {
        let data = world.syspro.data();
        let journalled: BTreeSet<&str> = data
            .gl
            .iter()
            .map(|row| row["Reference"].as_str())
            .filter(|r| payouts.contains(*r))
            .collect();
        journalled.len() == payouts.len()
    })
    .await;
    quiet(world, serve).await;
    (story, currencies)
}
