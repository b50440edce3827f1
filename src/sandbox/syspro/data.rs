//! The emulator's records: sessions, customers, stock, sales orders, AR invoices and the
//! payments applied to them.

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
    /// Quantity on hand by warehouse.
    pub on_hand: BTreeMap<String, String>,
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

/// An AR invoice, credit note or unapplied payment (ArInvoice): `Invoice`, `DocumentType` (I
/// invoice, C credit note, P unapplied payment), `Customer`, `SalesOrder`, `InvoiceDate`,
/// `Currency`, `InvoiceValue` and the open amount `InvoiceBal1`, by column name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArInvoice {
    pub fields: IndexMap<String, String>,
}

impl ArInvoice {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// What is still open on it (negative for a credit).
    pub fn balance(&self) -> rust_decimal::Decimal {
        self.get("InvoiceBal1").parse().unwrap_or_default()
    }

    pub fn set_balance(&mut self, balance: rust_decimal::Decimal) {
        self.fields
            .insert("InvoiceBal1".into(), balance.round_dp(2).to_string());
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
    /// The currency table (TblCurrency) by currency code: its rates against the local currency
    /// (`ledger.rs` converts with them).
    pub currency_table: BTreeMap<String, IndexMap<String, String>>,
    /// Cash book banks: bank code -> the general ledger code of its cash account.
    pub banks: BTreeMap<String, String>,
    /// The bank a payment that names none goes to (the operator's default bank).
    pub default_bank: String,
    /// By sales order number.
    pub orders: BTreeMap<String, SalesOrder>,
    /// The last sales order number handed out.
    pub next_order: u64,
    /// AR invoices, credit notes and unapplied payments, by number.
    pub invoices: BTreeMap<String, ArInvoice>,
    /// The last invoice number handed out.
    pub next_invoice: u64,
    /// One row per invoice a payment paid (ArInvoicePay): `Reference`, `Customer`, `Invoice`,
    /// `PaymentValue`, `PaymentDate`, `Bank`, `PaymentType`, `Journal`.
    pub payments: Vec<IndexMap<String, String>>,
    /// The last AR payment journal number handed out.
    pub next_payment_journal: u64,
    /// One row per credit note posted to an existing invoice (ArTrnDetail): `Reference`,
    /// `Customer`, `Invoice`, `TransactionType`, `InvoiceValue`, `InvoiceDate`, `Journal`.
    pub credits: Vec<IndexMap<String, String>>,
    /// The last AR invoice journal number handed out (ARSTIN).
    pub next_invoice_journal: u64,
    /// The general ledger's chart: ledger code -> description.
    pub ledger_codes: BTreeMap<String, String>,
    /// Posted general ledger transactions (GenTransaction): `GlJournal`, `GlYear`, `GlPeriod`,
    /// `EntryNumber`, `LedgerCode`, `Reference`, `JournalDate`, `EntryAmount`, `Comment`.
    pub gl: Vec<IndexMap<String, String>>,
    /// The last GL journal number handed out.
    pub next_gl_journal: u64,
    /// Whether an imported order is shipped and invoiced at once (the sandbox's stand-in for
    /// the site's dispatch and invoicing run); else it stays open until `invoice_order`.
    pub invoice_on_import: bool,
    /// Business object calls answered, logons and logoffs included.
    pub calls: u64,
    /// Codes of the customers ferry did not make: seed data and drift's additions (`drift.rs`
    /// changes and deletes only the others).
    pub not_ferrys: BTreeSet<String>,
    /// Numbers of the sales orders ferry did not import: drift's additions.
    pub orders_not_ferrys: BTreeSet<String>,
}
