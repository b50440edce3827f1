//! The emulator's records: sessions, customers, stock, sales orders.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use indexmap::IndexMap;

/// A customer's fields by element name (`Customer`, `Name`, ..., custom form fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    pub fields: IndexMap<String, String>,
}

impl Customer {
    pub fn from_pairs(pairs: &[(&str, String)]) -> Self {
        Customer {
            fields: pairs
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StockItem {
    pub description: String,
    pub uom: String,
    pub price: String,
}

/// One line as imported: its SORTOI element (`StockLine`, `MiscChargeLine`, ...) and values.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderLine {
    pub element: String,
    pub fields: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SalesOrder {
    /// `SalesOrder`, `OrderStatus`, `CustomerPoNumber`, `Customer`, ... by element name.
    pub header: IndexMap<String, String>,
    pub lines: Vec<OrderLine>,
}

impl SalesOrder {
    pub fn get(&self, name: &str) -> &str {
        self.header
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub operator: String,
    pub last_used: Instant,
}

#[derive(Debug, Default)]
pub struct SysproData {
    pub sessions: HashMap<String, Session>,
    pub customers: BTreeMap<String, Customer>,
    pub stock: BTreeMap<String, StockItem>,
    pub warehouses: BTreeSet<String>,
    pub currencies: BTreeSet<String>,
    /// By sales order number.
    pub orders: BTreeMap<String, SalesOrder>,
    /// The last sales order number handed out.
    pub next_order: u64,
    /// Business object calls answered, logons and logoffs included.
    pub calls: u64,
    /// Codes of the customers ferry did not make: seed data and drift's additions (`drift.rs`
    /// changes and deletes only the others).
    pub not_ferrys: BTreeSet<String>,
    /// Numbers of the sales orders ferry did not import: drift's additions.
    pub orders_not_ferrys: BTreeSet<String>,
}
