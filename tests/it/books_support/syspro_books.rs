//! The books Syspro keeps after the story, read back from its emulator and checked against
//! Stripe.

use std::collections::{BTreeMap, BTreeSet};

use ferry::sandbox::syspro::ledger::{RECEIVABLES, to_local};
use ferry::sandbox::syspro::{ArInvoice, Customer, SalesOrder};
use rust_decimal::Decimal;
use serde_json::Value;

use super::story::{Story, exponent};
use crate::run_support::World;

/// The Syspro sandbox's ledger codes (the payouts pipeline's lookup).
pub const BANK: &str = "1100";
pub const CLEARING: &str = "1150";
pub const FEES: &str = "6210";
pub const ADJUSTMENTS: &str = "6890";

/// What the checks found, for the proof's summary.
#[derive(Debug, Default)]
pub struct Figures {
    pub gl_rows: usize,
    pub gl_journals: usize,
    pub debits_aud: Decimal,
    pub orders: usize,
    pub invoices_paid: usize,
    pub credit_notes: usize,
    pub refund_payments: usize,
    pub refunds_by_currency: BTreeMap<String, Decimal>,
    pub customers_at_zero: usize,
    /// The Stripe clearing account's net (AUD) by the currency of what each row books.
    pub clearing_by_currency: BTreeMap<String, Decimal>,
    pub fees_aud: Decimal,
    pub disputes_lost: usize,
    pub disputes_won: usize,
    pub disputes_lost_aud: Decimal,
    pub bank_aud: Decimal,
}

/// The emulator's records the checks read.
struct Books {
    gl: Vec<Row>,
    orders: BTreeMap<String, SalesOrder>,
    invoices: BTreeMap<String, ArInvoice>,
    payments: Vec<Row>,
    credits: Vec<Row>,
    customers: BTreeMap<String, Customer>,
}

type Row = indexmap::IndexMap<String, String>;

fn major(amount: i64, currency: &str) -> Decimal {
    Decimal::new(amount, exponent(currency))
}

fn amount(row: &indexmap::IndexMap<String, String>, column: &str) -> Decimal {
    row[column]
        .parse()
        .unwrap_or_else(|e| panic!("{column} of {row:?} is not a decimal: {e}"))
}

/// `amount` of `currency` in AUD at the Syspro company's own rate, as Syspro converts it.
fn local(world: &World, currency: &str, amount: Decimal) -> Decimal {
    to_local(&world.syspro.data(), &currency.to_uppercase(), amount)
        .unwrap_or_else(|e| panic!("{amount} {currency}: {e}"))
}

/// Every balance transaction payout `id` settled (all pages).
async fn settled(world: &World, id: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all
            .last()
            .and_then(|t| t["id"].as_str())
            .map(|t| format!("&starting_after={t}"))
            .unwrap_or_default();
        let page = world
            .stripe_get(&format!(
                "/v1/balance_transactions?payout={id}&limit=100{after}"
            ))
            .await;
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        if page["has_more"] != true {
            return all;
        }
    }
}

/// Checks 1 to 5 of the Syspro proof (see proof_books_syspro.rs); the figures.
pub async fn check(
    world: &World,
    story: &Story,
    currencies_at_sync: &BTreeMap<String, String>,
) -> Figures {
    let mut figures = Figures::default();
    // A copy: the emulator's lock is not held across the reads from Stripe below.
    let data = {
        let data = world.syspro.data();
        Books {
            gl: data.gl.clone(),
            orders: data.orders.clone(),
            invoices: data.invoices.clone(),
            payments: data.payments.clone(),
            credits: data.credits.clone(),
            customers: data.customers.clone(),
        }
    };

    // 1. The trial balance sums to zero, and so does every journal.
    let mut journals: BTreeMap<&str, Decimal> = BTreeMap::new();
    for row in &data.gl {
        *journals.entry(row["GlJournal"].as_str()).or_default() += amount(row, "EntryAmount");
    }
    let unbalanced: Vec<_> = journals.iter().filter(|(_, net)| !net.is_zero()).collect();
    assert!(
        unbalanced.is_empty(),
        "journals that do not balance: {unbalanced:?}"
    );
    let total: Decimal = data.gl.iter().map(|row| amount(row, "EntryAmount")).sum();
    assert_eq!(
        total,
        Decimal::ZERO,
        "the trial balance does not sum to zero"
    );
    figures.gl_rows = data.gl.len();
    figures.gl_journals = journals.len();
    figures.debits_aud = data
        .gl
        .iter()
        .map(|row| amount(row, "EntryAmount"))
        .filter(|a| *a > Decimal::ZERO)
        .sum();

    // 2. Each charge is one sales order in its currency, invoiced for the charge, paid by one
    // payment of the charge, and nothing is left on the invoice once its refunds are paid back.
    let charges: BTreeSet<&str> = story.charges.iter().map(|c| c.id.as_str()).collect();
    let mut order_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (number, order) in &data.orders {
        let po = order.get("CustomerPoNumber");
        if charges.contains(po) {
            assert!(
                order_of.insert(po, number).is_none(),
                "charge {po} has two sales orders"
            );
        }
    }
    for charge in &story.charges {
        let number = order_of
            .get(charge.id.as_str())
            .unwrap_or_else(|| panic!("charge {} has no sales order", charge.id));
        let order = &data.orders[*number];
        assert_eq!(
            order.get("Currency"),
            charge.currency.to_uppercase(),
            "sales order {number}"
        );
        let invoices: Vec<_> = data
            .invoices
            .values()
            .filter(|i| i.get("SalesOrder") == *number && i.get("DocumentType") == "I")
            .collect();
        assert_eq!(
            invoices.len(),
            1,
            "sales order {number} of charge {} has {} invoices",
            charge.id,
            invoices.len()
        );
        let invoice = invoices[0];
        let value = major(charge.amount, charge.currency);
        assert_eq!(
            invoice.get("InvoiceValue").parse::<Decimal>().unwrap(),
            value,
            "invoice of {}",
            charge.id
        );
        assert_eq!(
            invoice.balance(),
            Decimal::ZERO,
            "invoice {} of charge {} is open: {invoice:?}",
            invoice.get("Invoice"),
            charge.id
        );
        let paid: Vec<_> = data
            .payments
            .iter()
            .filter(|p| p["Reference"] == charge.id)
            .collect();
        assert_eq!(
            paid.len(),
            1,
            "charge {} has {} payment rows",
            charge.id,
            paid.len()
        );
        assert_eq!(
            (
                paid[0]["Invoice"].as_str(),
                amount(paid[0], "PaymentValue"),
                paid[0]["Bank"].as_str()
            ),
            (invoice.get("Invoice"), value, "STRIPE"),
            "the payment of charge {}",
            charge.id
        );
    }
    figures.orders = order_of.len();
    figures.invoices_paid = story.charges.len();

    // 3. One credit note and one refund payment per refund; per currency the credit notes sum to
    // Stripe's refunds, and so do the payments back.
    let refunds: Vec<Value> = world
        .stripe
        .objects("refund")
        .into_iter()
        .filter(|r| charges.contains(r["charge"].as_str().unwrap_or_default()))
        .collect();
    let refund_ids: BTreeSet<&str> = refunds.iter().filter_map(|r| r["id"].as_str()).collect();
    let mut refunded: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut paid_back: BTreeMap<String, Decimal> = BTreeMap::new();
    for refund in &refunds {
        let id = refund["id"].as_str().unwrap();
        let currency = refund["currency"].as_str().unwrap().to_string();
        *refunded.entry(currency.clone()).or_default() +=
            major(refund["amount"].as_i64().unwrap(), &currency);
        let notes: Vec<_> = data
            .credits
            .iter()
            .filter(|c| c["Reference"] == id)
            .collect();
        assert_eq!(
            notes.len(),
            1,
            "refund {id} has {} credit notes",
            notes.len()
        );
        *credited.entry(currency.clone()).or_default() += amount(notes[0], "InvoiceValue");
        let back: Vec<_> = data
            .payments
            .iter()
            .filter(|p| p["Reference"] == id)
            .collect();
        assert_eq!(
            back.len(),
            1,
            "refund {id} has {} refund payments",
            back.len()
        );
        assert_eq!(
            back[0]["Invoice"], notes[0]["Invoice"],
            "refund {id} is paid back on another invoice"
        );
        *paid_back.entry(currency).or_default() -= amount(back[0], "PaymentValue");
    }
    let strays: Vec<_> = data
        .credits
        .iter()
        .map(|c| c["Reference"].as_str())
        .filter(|r| !refund_ids.contains(r))
        .collect();
    assert!(
        strays.is_empty(),
        "credit notes for refunds Stripe does not have: {strays:?}"
    );
    assert_eq!(
        credited, refunded,
        "credit notes (left) do not equal Stripe's refunds (right), per currency"
    );
    assert_eq!(
        paid_back, refunded,
        "refund payments (left) do not equal Stripe's refunds (right), per currency"
    );
    figures.credit_notes = refunds.len();
    figures.refund_payments = refunds.len();
    figures.refunds_by_currency = refunded;

    // 4. Every customer of the story owes nothing and is owed nothing, in its currency and in
    // receivables control; no customer's currency changed after the sync.
    let now: BTreeMap<String, String> = data
        .customers
        .values()
        .filter(|c| currencies_at_sync.contains_key(c.get("StripeCustomerId")))
        .map(|c| {
            (
                c.get("StripeCustomerId").to_string(),
                c.get("Currency").to_string(),
            )
        })
        .collect();
    assert_eq!(
        &now, currencies_at_sync,
        "a customer's currency changed after it was created (now left)"
    );
    for customer in data
        .customers
        .values()
        .filter(|c| currencies_at_sync.contains_key(c.get("StripeCustomerId")))
    {
        assert_eq!(
            customer
                .get("CurrentBalance")
                .parse::<Decimal>()
                .unwrap_or_default(),
            Decimal::ZERO,
            "customer {} is not at zero: {customer:?}",
            customer.get("Customer")
        );
        figures.customers_at_zero += 1;
    }
    let receivables: Decimal = data
        .gl
        .iter()
        .filter(|r| r["LedgerCode"] == RECEIVABLES)
        .map(|r| amount(r, "EntryAmount"))
        .sum();
    assert_eq!(
        receivables,
        Decimal::ZERO,
        "receivables control does not net to zero"
    );

    // 5. Stripe clearing nets to zero in every currency: payments and refunds went through it at
    // Syspro's rate, and each payout's journal takes them out at the same rate. The fees
    // account holds Stripe's fees and the adjustments account what lost disputes cost (a won
    // dispute nets to nothing there), converted the same way.
    let mut currency_of: BTreeMap<&str, String> = story
        .charges
        .iter()
        .map(|c| (c.id.as_str(), c.currency.to_string()))
        .collect();
    for refund in &refunds {
        currency_of.insert(
            refund["id"].as_str().unwrap(),
            refund["currency"].as_str().unwrap().to_string(),
        );
    }
    for (payout, (currency, _)) in story.payouts.iter().zip(story.currencies) {
        currency_of.insert(payout.as_str(), currency.to_string());
    }
    for row in data.gl.iter().filter(|r| r["LedgerCode"] == CLEARING) {
        let currency = currency_of
            .get(row["Reference"].as_str())
            .cloned()
            .unwrap_or_else(|| format!("unknown {}", row["Reference"]));
        *figures.clearing_by_currency.entry(currency).or_default() += amount(row, "EntryAmount");
    }
    let on = |code: &str| -> Decimal {
        data.gl
            .iter()
            .filter(|r| r["LedgerCode"] == code)
            .map(|r| amount(r, "EntryAmount"))
            .sum()
    };
    let mut fees = Decimal::ZERO;
    for (payout, (currency, _)) in story.payouts.iter().zip(story.currencies) {
        for transaction in settled(world, payout).await {
            for fee in transaction["fee_details"].as_array().unwrap() {
                fees += local(
                    world,
                    currency,
                    major(fee["amount"].as_i64().unwrap(), currency),
                );
            }
            if transaction["type"] == "stripe_fee" {
                fees -= local(
                    world,
                    currency,
                    major(transaction["amount"].as_i64().unwrap(), currency),
                );
            }
        }
    }
    assert_eq!(
        on(FEES),
        fees,
        "the fees account (left) does not hold Stripe's fees at Syspro's rates (right)"
    );
    let lost: Decimal = story
        .disputes
        .iter()
        .filter(|d| d.lost)
        .map(|d| local(world, d.currency, major(d.amount, d.currency)))
        .sum();
    assert_eq!(
        on(ADJUSTMENTS),
        lost,
        "the adjustments account (left) does not hold what the lost disputes cost (right)"
    );
    figures.fees_aud = fees;
    figures.disputes_lost = story.disputes.iter().filter(|d| d.lost).count();
    figures.disputes_won = story.disputes.len() - figures.disputes_lost;
    figures.disputes_lost_aud = lost;
    figures.bank_aud = on(BANK);
    figures
}
