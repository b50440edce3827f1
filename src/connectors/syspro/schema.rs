//! Syspro schemas. UNVERIFIED: no public specification of these business objects' XML was
//! available; element names follow the SORTOI / ARSTPY documents as reported (see
//! shared/reference/apis.md) and are kept here, in one table per document, so they are easy to
//! correct. The field lengths are unverified too; the emulator enforces these same tables.

use crate::check::KeyShape::Text;
use crate::check::SchemaRegistry;
use crate::check::Posting;
use crate::connectors::build::Kind::{Date, Decimal, Enum, Int, Key, List, String as Str};
use crate::connectors::build::{Keys, Parts, Prop, add_source, add_target_and_sink, req, ro, rw};

const CUSTOMERS: &str = "syspro.customers";

/// Sales order line (SORTOI StockLine).
pub const ORDER_LINE: &[Prop] = &[
    req("StockCode", Str),
    rw("StockDescription", Str),
    rw("Warehouse", Str),
    req("OrderQty", Decimal),
    rw("OrderUom", Str),
    rw("Price", Decimal),
    rw("PriceUom", Str),
    rw("LineDiscPercent1", Decimal),
    rw("LineType", Enum(&["1", "4", "5", "6", "7"]))
        .doc("1 stocked, 4 freight, 5 miscellaneous charge, 6 comment, 7 non-stocked."),
    rw("CustomerPoLine", Str),
];

/// Sales order import (SORTOI).
pub const SALES_ORDER: &[Prop] = &[
    req("CustomerPoNumber", Str).max_length(30),
    req("Customer", Key(CUSTOMERS, "Customer")),
    rw("OrderDate", Date),
    rw("RequestedShipDate", Date),
    rw("Currency", Str),
    rw("Warehouse", Str),
    rw("ShipAddress1", Str),
    rw("ShipAddress2", Str),
    rw("ShipAddress3", Str),
    rw("ShipPostalCode", Str),
    rw("Email", Str),
    rw("OrderComments", Str),
    req("lines", List("syspro.salesOrderLine", &[ORDER_LINE])),
];

/// Customer maintenance (setup); the source reads the same fields plus balances.
pub const CUSTOMER: &[Prop] = &[
    req("Customer", Str).max_length(15),
    req("Name", Str).max_length(50),
    rw("ShortName", Str).max_length(20),
    rw("Branch", Str).max_length(10),
    rw("Salesperson", Str).max_length(20),
    rw("Telephone", Str).max_length(20),
    rw("Email", Str).max_length(255),
    rw("SoldToAddr1", Str).max_length(40),
    rw("SoldToAddr2", Str).max_length(40),
    rw("SoldToAddr3", Str).max_length(40),
    rw("SoldPostalCode", Str).max_length(10),
    rw("Currency", Str).max_length(3),
    rw("TermsCode", Str).max_length(2),
    rw("TaxCode", Str).max_length(3),
    rw("CreditLimit", Decimal),
    rw("StripeCustomerId", Str).max_length(50)
        .optional()
        .doc("Custom form field holding the Stripe customer id; the field name is set per site."),
    ro("CurrentBalance", Decimal).optional(),
];

/// A stock item (INVQRY `StockItem`, the quantity on hand summed over its warehouses).
pub const ITEM: &[Prop] = &[
    ro("StockCode", Str),
    ro("Description", Str),
    ro("LongDesc", Str).optional(),
    ro("StockUom", Str),
    ro("ProductClass", Str).optional(),
    ro("SellingPrice", Decimal).optional(),
    ro("QtyOnHand", Decimal).optional(),
];

/// A currency of the currency table (TblCurrency), read only: its rates against the local
/// currency.
pub const CURRENCY: &[Prop] = &[
    ro("Currency", Str),
    ro("Description", Str).optional(),
    ro("BuyExchangeRate", Decimal)
        .doc("The rate money received in this currency is converted at (see MulDiv)."),
    ro("SellExchangeRate", Decimal).optional(),
    ro("MulDiv", Enum(&["M", "D"]))
        .doc("M: local amount = foreign amount x rate; D: local amount = foreign amount / rate."),
];

/// AR credit note (ARSTIN, TransactionType C) posted against an existing invoice.
pub const AR_CREDIT_NOTE: &[Prop] = &[
    req("Reference", Str)
        .max_length(30)
        .doc("Where the credit came from (the Stripe refund)."),
    req("Customer", Key(CUSTOMERS, "Customer")),
    req("InvoiceDate", Date).doc("The credit note's date."),
    req("InvoiceValue", Decimal)
        .doc("The credit, positive: Syspro negates a credit note itself."),
    rw("SalesOrder", Str)
        .doc("The sales order whose invoice is credited; ferry finds that invoice."),
    rw("Invoice", Str).doc("The invoice credited, when known; else the SalesOrder's invoice."),
    ro("Journal", Str).doc("The AR journal Syspro posted the credit in: its id."),
];

/// A line of a general ledger journal (GENTJL `JournalDetails`); a record's lines are one
/// journal, posted together.
const GL_JOURNAL_LINE: &[Prop] = &[
    req("Reference", Str)
        .max_length(30)
        .doc("The journal's reference (the Stripe payout): how the ledger finds it again."),
    req("EntryNumber", Int),
    req("LedgerCode", Str).max_length(35),
    req("JournalDate", Date),
    req("EntryAmount", Decimal).doc("Signed: a debit is positive, a credit negative."),
    rw("Comment", Str).max_length(50),
    ro("Line", Str).doc("The line's id in ferry: `Reference/EntryNumber`."),
];

/// AR payment (ARSTPY `Payment`), applied in full to one invoice.
pub const AR_PAYMENT: &[Prop] = &[
    req("Reference", Str)
        .max_length(50)
        .doc("Where the money came from (the Stripe charge); also the journal notation."),
    req("Customer", Key(CUSTOMERS, "Customer")),
    req("PaymentDate", Date),
    req("PaymentValue", Decimal).doc("In the customer's currency; the invoice's balance at most."),
    rw("SalesOrder", Str)
        .doc("The sales order whose invoice the payment pays; ferry finds that invoice."),
    rw("Invoice", Str).doc("The invoice paid, when known; else the SalesOrder's invoice."),
    rw("Bank", Str).max_length(15).doc("Cash book bank; the operator's default when left out."),
    rw("PaymentType", Enum(&["C", "S", "O"])).doc("C cheque (Syspro's default), S cash, O other."),
    ro("Journal", Str).doc("The AR payment journal Syspro posted the payment in: its id."),
];

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    add_source(
        &mut registry,
        CUSTOMERS,
        "syspro.customer",
        &[CUSTOMER],
        "Customer",
    );
    add_source(
        &mut registry,
        "syspro.items",
        "syspro.item",
        &[ITEM],
        "StockCode",
    );
    add_source(
        &mut registry,
        "syspro.currencies",
        "syspro.currency",
        &[CURRENCY],
        "Currency",
    );
    // Syspro's keys are codes of fixed widths: a customer is Customer (15 characters), a
    // sales order SalesOrder (20), an AR invoice or credit note Invoice (20), a payment the AR
    // payment journal Syspro posts it in; journal entries are known by the reference ferry
    // gives them.
    let targets: [(&str, &str, Parts, Keys); 5] = [
        (
            "syspro.salesOrders",
            "syspro.salesOrder",
            &[SALES_ORDER],
            &[("SalesOrder", Text { max_length: 20 })],
        ),
        (
            CUSTOMERS,
            "syspro.customer",
            &[CUSTOMER],
            &[("Customer", Text { max_length: 15 })],
        ),
        (
            "syspro.arCreditNotes",
            "syspro.arCreditNote",
            &[AR_CREDIT_NOTE],
            &[("Journal", Text { max_length: 10 })],
        ),
        (
            "syspro.glJournalLines",
            "syspro.glJournalLine",
            &[GL_JOURNAL_LINE],
            &[("Line", Text { max_length: 60 })],
        ),
        (
            "syspro.arPayments",
            "syspro.arPayment",
            &[AR_PAYMENT],
            &[("Journal", Text { max_length: 10 })],
        ),
    ];
    for (sink, target, parts, keys) in targets {
        add_target_and_sink(&mut registry, sink, target, parts, keys);
    }
    registry
        .posting
        .insert("syspro.glJournalLines".into(), Posting::Journal);
    // A currency is read by its code: `fetch(syspro.currencies, "USD")`.
    if let Some(currencies) = registry.sources.get_mut("syspro.currencies") {
        currencies.fetchable.by_id = true;
    }
    registry
}
