//! The tenant's records, each kind kept in the order its listing serves it: by natural key.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use super::order::{FIRST_ORDER_NUMBER, Order};
use super::product::Product;
use super::records::{Category, Debtor, Listed, Stamps};
use super::transactions::Transaction;

#[derive(Debug, Default)]
pub struct ProntoData {
    pub debtors: BTreeMap<String, Debtor>,
    pub products: BTreeMap<String, Product>,
    pub orders: BTreeMap<u64, Order>,
    pub categories: BTreeMap<String, Category>,
    /// Order creations, in the order they were posted.
    pub transactions: Vec<Transaction>,
}

impl ProntoData {
    pub fn next_order_number(&self) -> u64 {
        self.orders
            .keys()
            .next_back()
            .map_or(FIRST_ORDER_NUMBER, |last| last + 1)
    }

    /// Adds or replaces a debtor given as debtor/v4 shows it: updated now, created when first
    /// seen. The debtor as it is now shown.
    pub fn upsert_debtor(&mut self, value: &Value, now: Timestamp) -> Result<Value, String> {
        upsert(&mut self.debtors, now, |stamps| Debtor::read(value, stamps), |d| d.code.clone())
    }

    pub fn upsert_product(&mut self, value: &Value, now: Timestamp) -> Result<Value, String> {
        upsert(&mut self.products, now, |stamps| Product::read(value, stamps), |p| p.code.clone())
    }

    /// An order without a `pronto_order_number` gets the next one.
    pub fn upsert_order(&mut self, value: &Value, now: Timestamp) -> Result<Value, String> {
        let next = self.next_order_number();
        upsert(&mut self.orders, now, |stamps| Order::read(value, next, stamps), |o| o.number)
    }
}

/// Reads a record (once to find its key, once with its times: created when first seen,
/// updated now), stores it and shows it.
fn upsert<K: Ord, R: Listed>(
    records: &mut BTreeMap<K, R>,
    now: Timestamp,
    read: impl Fn(Stamps) -> Result<R, String>,
    key: impl Fn(&R) -> K,
) -> Result<Value, String> {
    let key = key(&read(Stamps::at(now))?);
    let created_at = records.get(&key).map_or(now, |r| r.stamps().created_at);
    let record = read(Stamps {
        created_at,
        updated_at: now,
    })?;
    let shown = record.shown();
    records.insert(key, record);
    Ok(shown)
}
