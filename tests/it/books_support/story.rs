//! The seeded story the books proof tells through Stripe: customers paying in five currencies,
//! card charges, Stripe invoices and subscriptions (each paid with a charge of its own), partial
//! and full refunds, late second refunds, disputes (lost and won), and one payout per currency.

use std::collections::BTreeMap;

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

/// A country that pays in `currency`.
fn country_of(currency: &str) -> Option<&'static str> {
    [
        ("aud", "AU"),
        ("usd", "US"),
        ("eur", "DE"),
        ("nzd", "NZ"),
        ("gbp", "GB"),
        ("jpy", "JP"),
        ("kwd", "KW"),
    ]
    .into_iter()
    .find(|(code, _)| *code == currency)
    .map(|(_, country)| country)
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
    /// The Stripe invoice the charge paid: the sale is booked on that invoice's sales document,
    /// not on one of the charge's own.
    pub invoice: Option<String>,
    /// Made with the card that disputes it (`tok_createDispute`): Stripe takes the money back
    /// with a dispute fee, and a charge in dispute cannot be refunded.
    pub disputed: bool,
}

/// A dispute and whether the business lost it (accepted it) or won it (with evidence).
pub struct Dispute {
    pub id: String,
    pub currency: &'static str,
    pub amount: i64,
    pub lost: bool,
}

impl Charge {
    /// The `externalDocumentNumber` of the Business Central sales invoice that books the sale.
    pub fn sales_document(&self) -> &str {
        self.invoice.as_deref().unwrap_or(&self.id)
    }
}

/// A subscription, and the customer (index into [`Story::customers`]) it bills.
pub struct Subscription {
    pub id: String,
    pub customer: usize,
}

pub struct Story {
    rng: StdRng,
    /// The currencies customers pay in, taken in turn ([`CURRENCIES`] unless told otherwise).
    pub currencies: &'static [(&'static str, u32)],
    /// Customers get an address in their currency's country (a target that sets a customer's
    /// currency from its country needs it).
    pub countries: bool,
    pub customers: Vec<Customer>,
    pub charges: Vec<Charge>,
    /// First refunds made (partial or full), and late second ones.
    pub refunds: u64,
    pub late_refunds: u64,
    pub payouts: Vec<String>,
    /// Stripe invoices paid, one-off ones and subscriptions' first periods.
    pub invoices: u64,
    pub subscriptions: Vec<Subscription>,
    pub disputes: Vec<Dispute>,
    /// A monthly price per currency, made the first time a subscription needs it.
    prices: BTreeMap<&'static str, String>,
}

impl Story {
    pub fn new(seed: u64) -> Self {
        Self::in_currencies(seed, CURRENCIES, false)
    }

    /// A story whose customers pay in `currencies`, with addresses in their countries when
    /// `countries`.
    pub fn in_currencies(
        seed: u64,
        currencies: &'static [(&'static str, u32)],
        countries: bool,
    ) -> Self {
        Story {
            rng: StdRng::seed_from_u64(seed),
            currencies,
            countries,
            customers: Vec::new(),
            charges: Vec::new(),
            refunds: 0,
            late_refunds: 0,
            payouts: Vec::new(),
            invoices: 0,
            subscriptions: Vec::new(),
            disputes: Vec::new(),
            prices: BTreeMap::new(),
        }
    }

    /// Creates `count` customers, the currencies taken in turn so each has some.
    pub async fn customers(&mut self, world: &World, count: u64) {
        for n in 0..count {
            let currency = self.currencies[n as usize % self.currencies.len()].0;
            let address = match country_of(currency) {
                Some(country) if self.countries => {
                    format!("&address[line1]={n}+Ledger+Lane&address[country]={country}")
                }
                _ => String::new(),
            };
            let customer = world
                .stripe_post(
                    "/v1/customers",
                    &format!("email=book{n}%40example.com&name=Book+Buyer+{n}{address}"),
                )
                .await;
            self.customers.push(Customer {
                id: customer["id"].as_str().unwrap().to_string(),
                currency,
            });
        }
    }

    /// `count` card charges with `POST /v1/charges`, each by a random customer in its currency;
    /// one in a hundred (at least two) with the card that disputes it.
    pub async fn charges(&mut self, world: &World, count: u64) {
        let disputed_every = (count / 2).clamp(1, 100);
        for n in 0..count {
            let customer = &self.customers[self.rng.random_range(0..self.customers.len())];
            let (customer, currency) = (customer.id.clone(), customer.currency);
            let amount = self.amount(currency);
            let disputed = n % disputed_every == disputed_every - 1;
            let card = if disputed {
                "tok_createDispute"
            } else {
                "tok_visa"
            };
            let charge = world
                .stripe_post(
                    "/v1/charges",
                    &format!(
                        "source={card}&customer={customer}&currency={currency}&amount={amount}"
                    ),
                )
                .await;
            self.charges.push(Charge {
                id: charge["id"].as_str().unwrap().to_string(),
                currency,
                amount,
                refunded: 0,
                invoice: None,
                disputed,
            });
        }
    }

    /// `count` one-off Stripe invoices, each for a random customer with one to three invoice
    /// items in its currency, finalized and paid (`POST /v1/invoices/{id}/pay`).
    pub async fn invoices(&mut self, world: &World, count: u64) {
        for _ in 0..count {
            let index = self.rng.random_range(0..self.customers.len());
            let (customer, currency) = (
                self.customers[index].id.clone(),
                self.customers[index].currency,
            );
            for line in 0..self.rng.random_range(1..=3) {
                let amount = self.amount(currency);
                world
                    .stripe_post(
                        "/v1/invoiceitems",
                        &format!(
                            "customer={customer}&currency={currency}&amount={amount}&description=Consulting+{line}"
                        ),
                    )
                    .await;
            }
            let invoice = world
                .stripe_post("/v1/invoices", &format!("customer={customer}"))
                .await;
            let id = invoice["id"].as_str().unwrap().to_string();
            world
                .stripe_post(&format!("/v1/invoices/{id}/finalize"), "")
                .await;
            let paid = world
                .stripe_post(&format!("/v1/invoices/{id}/pay"), "")
                .await;
            self.paid_invoice(&paid, currency);
        }
    }

    /// `count` monthly subscriptions, each for a random customer not yet subscribed, at a price
    /// in its currency: Stripe bills and charges the first period at once.
    pub async fn subscriptions(&mut self, world: &World, count: u64) {
        for _ in 0..count {
            let index = self.rng.random_range(0..self.customers.len());
            if self.subscriptions.iter().any(|s| s.customer == index) {
                continue;
            }
            let (customer, currency) = (
                self.customers[index].id.clone(),
                self.customers[index].currency,
            );
            let price = self.monthly_price(world, currency).await;
            let subscription = world
                .stripe_post(
                    "/v1/subscriptions",
                    &format!("customer={customer}&items[0][price]={price}"),
                )
                .await;
            let first = subscription["latest_invoice"].as_str().unwrap();
            let invoice = world
                .stripe
                .objects("invoice")
                .into_iter()
                .find(|i| i["id"] == first)
                .unwrap();
            self.paid_invoice(&invoice, currency);
            self.subscriptions.push(Subscription {
                id: subscription["id"].as_str().unwrap().to_string(),
                customer: index,
            });
        }
    }

    async fn monthly_price(&mut self, world: &World, currency: &'static str) -> String {
        if let Some(price) = self.prices.get(currency) {
            return price.clone();
        }
        let product = world
            .stripe_post("/v1/products", &format!("name=Books+plan+{currency}"))
            .await;
        let amount = self.amount(currency);
        let price = world
            .stripe_post(
                "/v1/prices",
                &format!(
                    "product={}&currency={currency}&unit_amount={amount}&recurring[interval]=month",
                    product["id"].as_str().unwrap()
                ),
            )
            .await;
        let id = price["id"].as_str().unwrap().to_string();
        self.prices.insert(currency, id.clone());
        id
    }

    /// Keeps the charge that paid `invoice`, so it may be refunded like any other.
    fn paid_invoice(&mut self, invoice: &serde_json::Value, currency: &'static str) {
        assert_eq!(invoice["status"], "paid", "{invoice:#}");
        self.charges.push(Charge {
            id: invoice["charge"].as_str().unwrap().to_string(),
            currency,
            amount: invoice["amount_paid"].as_i64().unwrap(),
            refunded: 0,
            invoice: Some(invoice["id"].as_str().unwrap().to_string()),
            disputed: false,
        });
        self.invoices += 1;
    }

    /// A random amount in minor units, from about 0.50 to 5,000 units of the currency.
    fn amount(&mut self, currency: &str) -> i64 {
        match exponent(currency) {
            0 => self.rng.random_range(50..=200_000),
            3 => self.rng.random_range(10..=50_000) * 10,
            _ => self.rng.random_range(50..=500_000),
        }
    }

    /// Refunds about a fifth of the charges, half of those in full; the indexes of the charges
    /// refunded in part.
    pub async fn first_refunds(&mut self, world: &World) -> Vec<usize> {
        let mut partial = Vec::new();
        for index in 0..self.charges.len() {
            if !self.rng.random_bool(0.2) || self.charges[index].disputed {
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

    /// Closes each dispute: the business accepts every other one (lost: the money stays with the
    /// cardholder) and wins the rest with evidence (the money and the fee come back).
    pub async fn close_disputes(&mut self, world: &World) {
        let disputed: Vec<(String, &'static str)> = self
            .charges
            .iter()
            .filter(|c| c.disputed)
            .map(|c| (c.id.clone(), c.currency))
            .collect();
        let disputes = world.stripe.objects("dispute");
        for (n, (charge, currency)) in disputed.into_iter().enumerate() {
            let dispute = disputes
                .iter()
                .find(|d| d["charge"] == charge.as_str())
                .unwrap_or_else(|| panic!("charge {charge} was not disputed"));
            let id = dispute["id"].as_str().unwrap().to_string();
            let lost = n % 2 == 0;
            let closed = if lost {
                world
                    .stripe_post(&format!("/v1/disputes/{id}/close"), "")
                    .await
            } else {
                world
                    .stripe_post(
                        &format!("/v1/disputes/{id}"),
                        "evidence[uncategorized_text]=winning_evidence&submit=true",
                    )
                    .await
            };
            assert_eq!(
                closed["status"],
                if lost { "lost" } else { "won" },
                "{closed:#}"
            );
            self.disputes.push(Dispute {
                id,
                currency,
                amount: dispute["amount"].as_i64().unwrap(),
                lost,
            });
        }
    }

    /// One payout per currency, with a Radar fee taken on the way.
    pub async fn payouts(&mut self, world: &World) {
        for (currency, _) in self.currencies {
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
