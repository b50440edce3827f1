//! The books Business Central keeps after the story, read back and checked against Stripe.

use std::collections::{BTreeMap, BTreeSet};

use ferry::sandbox::business_central::currency::to_lcy;
use rust_decimal::Decimal;
use serde_json::Value;

use super::story::{Story, exponent};
use crate::run_support::World;

/// Stripe clearing (gl_accounts.yaml's `stripe_clearing`).
pub const CLEARING: &str = "10950";
/// Disputes and other balance adjustments (gl_accounts.yaml's `adjustments`).
pub const ADJUSTMENTS: &str = "68900";

pub fn decimal(value: &Value) -> Decimal {
    match value {
        Value::String(text) => text.parse(),
        other => other.to_string().parse(),
    }
    .unwrap_or_else(|e| panic!("{value} is not a decimal: {e}"))
}

/// Minor units of a currency as the decimal Business Central holds.
fn major(amount: i64, currency: &str) -> Decimal {
    Decimal::new(amount, exponent(currency))
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_string()
}

/// Each Business Central customer of the story (by email) and its currency code.
pub async fn customer_currencies(world: &World) -> BTreeMap<String, String> {
    world
        .business_central("customers")
        .await
        .iter()
        .filter(|c| text(c, "email").starts_with("book"))
        .map(|c| (text(c, "email"), text(c, "currencyCode")))
        .collect()
}

/// What the checks found, for the proof's summary.
#[derive(Debug, Default)]
pub struct Figures {
    pub general_ledger_entries: usize,
    pub debits: Decimal,
    pub invoices_paid: usize,
    /// Of which Stripe invoices (one-off, and subscriptions' first periods).
    pub stripe_invoices: usize,
    pub subscriptions_linked: usize,
    pub disputes_lost: usize,
    pub disputes_won: usize,
    /// What lost disputes cost (LCY), as the adjustments account holds it.
    pub disputes_lost_lcy: Decimal,
    pub credit_memos: usize,
    pub refunds_by_currency: BTreeMap<String, Decimal>,
    pub clearing_by_currency: BTreeMap<String, Decimal>,
    pub refunds_lcy_by_currency: BTreeMap<String, Decimal>,
    /// Refunds with no entry in clearing besides their payout's line: money back not booked.
    pub refunds_not_paid_back: Vec<String>,
}

/// Checks 1 to 4 of the proof (see proof_books.rs) and reads the clearing account for check 5.
pub async fn check(
    world: &World,
    story: &Story,
    currencies_at_sync: &BTreeMap<String, String>,
) -> Figures {
    let mut figures = Figures::default();
    let entries = world.business_central("generalLedgerEntries").await;
    figures.general_ledger_entries = entries.len();

    // 1. The trial balance.
    let debits: Decimal = entries.iter().map(|e| decimal(&e["debitAmount"])).sum();
    let credits: Decimal = entries.iter().map(|e| decimal(&e["creditAmount"])).sum();
    assert_eq!(
        debits, credits,
        "the trial balance does not sum to zero: debits {debits}, credits {credits} over {} entries",
        figures.general_ledger_entries
    );
    figures.debits = debits;

    // 2. Each sale is one sales invoice, paid, nothing left on it: a card charge's own, or the
    // Stripe invoice's that a charge paid (and then none of the charge's own).
    let charges: BTreeSet<&str> = story.charges.iter().map(|c| c.id.as_str()).collect();
    let documents: BTreeSet<&str> = story.charges.iter().map(|c| c.sales_document()).collect();
    let invoices = world.business_central("salesInvoices").await;
    let mut invoiced = BTreeMap::new();
    for invoice in &invoices {
        let external = text(invoice, "externalDocumentNumber");
        if documents.contains(external.as_str()) {
            assert!(
                invoiced.insert(external.clone(), invoice).is_none(),
                "{external} has two sales invoices"
            );
        }
    }
    for charge in &story.charges {
        let document = charge.sales_document();
        let invoice = invoiced
            .get(document)
            .unwrap_or_else(|| panic!("charge {} has no sales invoice {document}", charge.id));
        assert_eq!(
            (
                text(invoice, "status"),
                decimal(&invoice["remainingAmount"])
            ),
            ("Paid".to_string(), Decimal::ZERO),
            "the sales invoice {document} of charge {} is not paid in full: {invoice:#}",
            charge.id
        );
        if charge.invoice.is_some() {
            assert!(
                !invoiced.contains_key(&charge.id),
                "charge {} paid Stripe invoice {document} and has a sales invoice of its own too",
                charge.id
            );
        }
    }
    let receivables = world.business_central("customerLedgerEntries").await;
    for entry in &receivables {
        if text(entry, "documentType") == "Invoice"
            && documents.contains(text(entry, "externalDocumentNumber").as_str())
        {
            assert_eq!(
                decimal(&entry["remainingAmount"]),
                Decimal::ZERO,
                "the customer ledger entry of an invoice is still open: {entry:#}"
            );
        }
    }
    figures.invoices_paid = invoiced.len();
    figures.stripe_invoices = story.invoices as usize;

    // 3. Credit memos equal refunds: one memo per refund, the same sums per currency.
    let refunds: Vec<Value> = world
        .stripe
        .objects("refund")
        .into_iter()
        .filter(|r| charges.contains(r["charge"].as_str().unwrap_or_default()))
        .collect();
    let memos = world
        .business_central("salesCreditMemos?$expand=salesCreditMemoLines")
        .await;
    let mut memo_of: BTreeMap<String, &Value> = BTreeMap::new();
    for memo in &memos {
        let external = text(memo, "externalDocumentNumber");
        if external.starts_with("re_") {
            assert!(
                memo_of.insert(external.clone(), memo).is_none(),
                "refund {external} has two credit memos"
            );
        }
    }
    let mut refunded: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut credited: BTreeMap<String, Decimal> = BTreeMap::new();
    for refund in &refunds {
        let id = text(refund, "id");
        let currency = text(refund, "currency");
        let amount = major(refund["amount"].as_i64().unwrap(), &currency);
        *refunded.entry(currency.clone()).or_default() += amount;
        let memo = memo_of
            .remove(&id)
            .unwrap_or_else(|| panic!("refund {id} ({amount} {currency}) has no credit memo"));
        assert_eq!(
            text(memo, "currencyCode"),
            currency.to_uppercase(),
            "the credit memo of {id}"
        );
        let lines: Decimal = memo["salesCreditMemoLines"]
            .as_array()
            .unwrap_or_else(|| panic!("the credit memo of {id} has no lines: {memo:#}"))
            .iter()
            .map(|l| decimal(&l["unitPrice"]) * decimal(&l["quantity"]))
            .sum();
        *credited.entry(currency.clone()).or_default() += lines;
        *figures.refunds_lcy_by_currency.entry(currency).or_default() +=
            to_lcy(amount, &text(refund, "currency").to_uppercase());
    }
    assert!(
        memo_of.is_empty(),
        "credit memos for refunds Stripe does not have: {:?}",
        memo_of.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        credited, refunded,
        "credit memos (left) do not equal Stripe's refunds (right), per currency"
    );
    figures.credit_memos = refunds.len();
    figures.refunds_by_currency = refunded;

    // 4. No customer's currency changed after the customer sync.
    let now = customer_currencies(world).await;
    assert_eq!(
        &now, currencies_at_sync,
        "a customer's currencyCode changed after it was created (now left, at sync right)"
    );

    // 5. Each subscriber's customer card links its subscription (the subscriptions pipeline owns
    // `website`).
    let customers = world.business_central("customers").await;
    for subscription in &story.subscriptions {
        let email = format!("book{}@example.com", subscription.customer);
        let customer = customers
            .iter()
            .find(|c| text(c, "email") == email)
            .unwrap_or_else(|| panic!("no Business Central customer {email}"));
        assert_eq!(
            text(customer, "website"),
            format!(
                "https://dashboard.stripe.com/subscriptions/{}",
                subscription.id
            ),
            "the customer of subscription {}",
            subscription.id
        );
    }
    figures.subscriptions_linked = story.subscriptions.len();

    // 6. A lost dispute's money is an expense in adjustments; a won one's came back and nets to
    // nothing there (its fee is given back in the fees account).
    let lost: Decimal = story
        .disputes
        .iter()
        .filter(|d| d.lost)
        .map(|d| to_lcy(major(d.amount, d.currency), &d.currency.to_uppercase()))
        .sum();
    let adjusted: Decimal = entries
        .iter()
        .filter(|e| e["accountNumber"] == ADJUSTMENTS)
        .map(|e| decimal(&e["debitAmount"]) - decimal(&e["creditAmount"]))
        .sum();
    assert_eq!(
        adjusted,
        lost,
        "the adjustments account (left) does not hold what the lost disputes cost (right); lost: {:?}",
        story
            .disputes
            .iter()
            .filter(|d| d.lost)
            .map(|d| &d.id)
            .collect::<Vec<_>>()
    );
    figures.disputes_lost = story.disputes.iter().filter(|d| d.lost).count();
    figures.disputes_won = story.disputes.len() - figures.disputes_lost;
    figures.disputes_lost_lcy = lost;

    let invoice_numbers: Vec<(String, String)> = world
        .stripe
        .objects("invoice")
        .iter()
        .map(|i| (text(i, "number"), text(i, "currency")))
        .collect();
    figures.clearing_by_currency =
        clearing_by_currency(&entries, story, &refunds, &invoice_numbers);
    figures.refunds_not_paid_back = refunds
        .iter()
        .map(|r| text(r, "id"))
        .filter(|id| {
            entries
                .iter()
                .filter(|e| e["accountNumber"] == CLEARING)
                .filter(|e| !text(e, "documentNumber").starts_with("po_"))
                .all(|e| !text(e, "description").contains(id.as_str()))
        })
        .collect();
    figures
}

/// The net (debit less credit, in LCY) of the Stripe clearing account, by the currency of the
/// charge, refund or payout each entry books (named in its description or document number).
fn clearing_by_currency(
    entries: &[Value],
    story: &Story,
    refunds: &[Value],
    invoice_numbers: &[(String, String)],
) -> BTreeMap<String, Decimal> {
    let mut currency_of: BTreeMap<&str, &str> = story
        .charges
        .iter()
        .map(|c| (c.id.as_str(), c.currency))
        .collect();
    for (number, currency) in invoice_numbers {
        currency_of.insert(number, currency);
    }
    for refund in refunds {
        if let (Some(id), Some(currency)) = (refund["id"].as_str(), refund["currency"].as_str()) {
            currency_of.insert(id, currency);
        }
    }
    let mut net: BTreeMap<String, Decimal> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e["accountNumber"] == CLEARING) {
        let document = text(entry, "documentNumber");
        let description = text(entry, "description");
        let payout = story
            .payouts
            .iter()
            .position(|p| p.starts_with(&document) && document.starts_with("po_"));
        let currency = match payout {
            Some(index) => story.currencies[index].0.to_string(),
            None => description
                .split_whitespace()
                .find_map(|word| currency_of.get(word))
                .map_or("unknown".to_string(), |c| c.to_string()),
        };
        *net.entry(currency).or_default() +=
            decimal(&entry["debitAmount"]) - decimal(&entry["creditAmount"]);
    }
    net
}
