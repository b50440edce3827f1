//! The seeded story the books proof tells through Stripe: customers paying in five currencies,
//! card charges, partial and full refunds, late second refunds, and one payout per currency.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::run_support::World;

/// The currencies customers pay in, with their exponent: two-decimal, zero-decimal (JPY) and
/// three-decimal (KWD) ones.
pub const CURRENCIES: &[(&str, u32)] =
    &[("aud", 2), ("usd", 2), ("eur", 2), ("jpy", 0), ("kwd", 3)];

/// The smallest step an amount may take: Stripe takes three-decimal currencies in tens.
pub fn step(currency: &str) -> i64 {
    if exponent(currency) == 3 { 10 } else { 1 }
}

pub fn exponent(currency: &str) -> u32 {
    CURRENCIES
        .iter()
        .find(|(code, _)| *code == currency)
        .map_or(2, |(_, exponent)| *exponent)
}

/// Stripe customers, each with the currency it pays in.
pub struct Customer {
    pub id: String,
    pub currency: &'static str,
}

/// A charge and what has been refunded of it so far, in minor units.
pub struct Charge {
    pub id: String,
    pub currency: &'static str,
    pub amount: i64,
    pub refunded: i64,
}

pub struct Story {
    rng: StdRng,
    pub customers: Vec<Customer>,
    pub charges: Vec<Charge>,
    /// First refunds made (partial or full), and late second ones.
    pub refunds: u64,
    pub late_refunds: u64,
    pub payouts: Vec<String>,
}

impl Story {
    pub fn new(seed: u64) -> Self {
        Story {
            rng: StdRng::seed_from_u64(seed),
            customers: Vec::new(),
            charges: Vec::new(),
            refunds: 0,
            late_refunds: 0,
            payouts: Vec::new(),
        }
    }

    /// Creates `count` customers, the currencies taken in turn so each has some.
    pub async fn customers(&mut self, world: &World, count: u64) {
        for n in 0..count {
            let currency = CURRENCIES[n as usize % CURRENCIES.len()].0;
            let customer = world
                .stripe_post(
                    "/v1/customers",
                    &format!("email=book{n}%40example.com&name=Book+Buyer+{n}"),
                )
                .await;
            self.customers.push(Customer {
                id: customer["id"].as_str().unwrap().to_string(),
                currency,
            });
        }
    }

    /// `count` card charges with `POST /v1/charges`, each by a random customer in its currency.
    pub async fn charges(&mut self, world: &World, count: u64) {
        for _ in 0..count {
            let customer = &self.customers[self.rng.random_range(0..self.customers.len())];
            let currency = customer.currency;
            let amount = match exponent(currency) {
                0 => self.rng.random_range(50..=200_000),
                3 => self.rng.random_range(10..=50_000) * 10,
                _ => self.rng.random_range(50..=500_000),
            };
            let charge = world
                .stripe_post(
                    "/v1/charges",
                    &format!(
                        "source=tok_visa&customer={}&currency={currency}&amount={amount}",
                        customer.id
                    ),
                )
                .await;
            self.charges.push(Charge {
                id: charge["id"].as_str().unwrap().to_string(),
                currency,
                amount,
                refunded: 0,
            });
        }
    }

    /// Refunds about a fifth of the charges, half of those in full; the indexes of the charges
    /// refunded in part.
    pub async fn first_refunds(&mut self, world: &World) -> Vec<usize> {
        let mut partial = Vec::new();
        for index in 0..self.charges.len() {
            if !self.rng.random_bool(0.2) {
                continue;
            }
            let full = self.rng.random_bool(0.5);
            let (currency, total) = (self.charges[index].currency, self.charges[index].amount);
            let amount = if full {
                total
            } else {
                self.part_of(currency, total)
            };
            if amount >= total && !full {
                continue;
            }
            self.refund(world, index, amount).await;
            self.refunds += 1;
            if !full {
                partial.push(index);
            }
        }
        partial
    }

    /// A second partial refund of about half of `partial`, made after the first's event was
    /// processed.
    pub async fn late_refunds(&mut self, world: &World, partial: &[usize]) {
        for &index in partial {
            if !self.rng.random_bool(0.5) {
                continue;
            }
            let charge = &self.charges[index];
            let (currency, left) = (charge.currency, charge.amount - charge.refunded);
            let amount = self.part_of(currency, left);
            if amount >= left {
                continue;
            }
            self.refund(world, index, amount).await;
            self.late_refunds += 1;
        }
    }

    /// One payout per currency, with a Radar fee taken on the way.
    pub async fn payouts(&mut self, world: &World) {
        for (currency, _) in CURRENCIES {
            let fee = 5 * step(currency) * 10i64.pow(exponent(currency).min(2));
            let payout = world
                .stripe_post(
                    "/v1/sandbox/payouts",
                    &format!(
                        "currency={currency}&fees[0][amount]={fee}&fees[0][description]=Radar+screening"
                    ),
                )
                .await;
            self.payouts
                .push(payout["id"].as_str().unwrap().to_string());
        }
    }

    /// A random part (a tenth to nine tenths) of `amount`, in the currency's steps; at least one.
    fn part_of(&mut self, currency: &str, amount: i64) -> i64 {
        let step = step(currency);
        let part = amount * self.rng.random_range(10..=90) / 100;
        (part / step).max(1) * step
    }

    async fn refund(&mut self, world: &World, index: usize, amount: i64) {
        let charge = &mut self.charges[index];
        world
            .stripe_post(
                "/v1/refunds",
                &format!("charge={}&amount={amount}", charge.id),
            )
            .await;
        charge.refunded += amount;
    }
}
