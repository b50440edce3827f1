//! Business Central API v2.0 entities, from Microsoft's API reference
//! (dev-itpro/api-reference/v2.0/resources). Read-only properties (ids, server-assigned numbers,
//! totals, status, lastModifiedDateTime) are left out of the map targets.

use indexmap::IndexMap;

use crate::check::KeyShape::{Guid, Text};
use crate::check::{Fetchable, Posting, SchemaRegistry, SourceSchema};
use crate::connectors::build::Kind::{
    Bool, Date, DateTimeString, Decimal, Enum, Id, Int, Key, List, String as Str,
};
use crate::connectors::build::{Entity, Keys, Parts, Prop, add_entities, req, ro, rw, source_type};

use super::lines::{SALES_CREDIT_MEMO_LINE, SALES_INVOICE_LINE, SALES_ORDER_LINE};

/// NAV.genJournalAccountType.
pub const ACCOUNT_TYPES: &[&str] = &[
    "G/L Account",
    "Customer",
    "Vendor",
    "Bank Account",
    "Fixed Asset",
    "IC Partner",
    "Employee",
];
const CUSTOMERS: &str = "business_central.customers";
const SALES_INVOICES: &str = "business_central.salesInvoices";

/// Most records are known by their `id` (a GUID) and by a `number` from a number series: Code[20].
const ID_AND_NUMBER: Keys = &[("id", Guid), ("number", Text { max_length: 20 })];
const ID_ONLY: Keys = &[("id", Guid)];

const CUSTOMER_BLOCKED: &[&str] = &[" ", "Ship", "Invoice", "All"];
const CUSTOMER_TYPES: &[&str] = &["Company", "Person"];
const ITEM_TYPES: &[&str] = &["Inventory", "Service", "Non-Inventory"];
const ORDER_STATUS: &[&str] = &["Draft", "In Review", "Open", "Released"];
const INVOICE_STATUS: &[&str] = &[
    " ",
    "Draft",
    "In Review",
    "Open",
    "Paid",
    "Canceled",
    "Corrective",
];

const CUSTOMER: &[Prop] = &[
    ro("id", Id),
    rw("number", Str).doc("Assigned from the number series when left out."),
    req("displayName", Str),
    rw("type", Enum(CUSTOMER_TYPES)),
    rw("addressLine1", Str),
    rw("addressLine2", Str),
    rw("city", Str),
    rw("state", Str),
    rw("country", Str),
    rw("postalCode", Str),
    rw("phoneNumber", Str),
    rw("email", Str),
    rw("website", Str),
    rw("salespersonCode", Str),
    ro("balanceDue", Decimal),
    rw("creditLimit", Decimal),
    rw("taxLiable", Bool),
    rw("taxAreaId", Id),
    ro("taxAreaDisplayName", Str),
    rw("taxRegistrationNumber", Str),
    rw("currencyId", Id),
    rw("currencyCode", Str),
    rw("paymentTermsId", Id),
    rw("shipmentMethodId", Id),
    rw("paymentMethodId", Id),
    rw("blocked", Enum(CUSTOMER_BLOCKED)),
    ro("lastModifiedDateTime", DateTimeString),
];

const ITEM: &[Prop] = &[
    ro("id", Id),
    rw("number", Str).doc("Assigned from the number series when left out."),
    req("displayName", Str),
    rw("displayName2", Str),
    rw("type", Enum(ITEM_TYPES)),
    rw("itemCategoryId", Id),
    rw("itemCategoryCode", Str),
    rw("blocked", Bool),
    rw("gtin", Str),
    ro("inventory", Decimal),
    rw("unitPrice", Decimal),
    rw("priceIncludesTax", Bool),
    rw("unitCost", Decimal),
    rw("taxGroupId", Id),
    rw("taxGroupCode", Str),
    rw("baseUnitOfMeasureId", Id),
    rw("baseUnitOfMeasureCode", Str),
    rw("generalProductPostingGroupId", Id),
    rw("generalProductPostingGroupCode", Str),
    rw("inventoryPostingGroupId", Id),
    rw("inventoryPostingGroupCode", Str),
    ro("lastModifiedDateTime", DateTimeString),
];

/// Header properties of sales orders, invoices and credit memos.
const DOCUMENT: [Prop; 36] = [
    ro("id", Id),
    ro("number", Str),
    rw("externalDocumentNumber", Str),
    rw("postingDate", Date),
    rw("customerId", Key(CUSTOMERS, "id")),
    ro("customerName", Str),
    rw("billToName", Str),
    rw("billToCustomerId", Key(CUSTOMERS, "id")),
    rw("billToCustomerNumber", Key(CUSTOMERS, "number")),
    rw("shipToName", Str),
    rw("shipToContact", Str),
    rw("sellToAddressLine1", Str),
    rw("sellToAddressLine2", Str),
    rw("sellToCity", Str),
    rw("sellToCountry", Str),
    rw("sellToState", Str),
    rw("sellToPostCode", Str),
    rw("billToAddressLine1", Str),
    rw("billToAddressLine2", Str),
    rw("billToCity", Str),
    rw("billToCountry", Str),
    rw("billToState", Str),
    rw("billToPostCode", Str),
    rw("shortcutDimension1Code", Str),
    rw("shortcutDimension2Code", Str),
    rw("currencyId", Id),
    rw("currencyCode", Str),
    ro("pricesIncludeTax", Bool),
    rw("paymentTermsId", Id),
    rw("salesperson", Str),
    rw("discountAmount", Decimal),
    ro("discountAppliedBeforeTax", Bool),
    ro("totalAmountExcludingTax", Decimal),
    ro("totalTaxAmount", Decimal),
    ro("totalAmountIncludingTax", Decimal),
    ro("lastModifiedDateTime", DateTimeString),
];

/// Ship-to address, on orders and invoices.
const SHIP_TO: [Prop; 6] = [
    rw("shipToAddressLine1", Str),
    rw("shipToAddressLine2", Str),
    rw("shipToCity", Str),
    rw("shipToCountry", Str),
    rw("shipToState", Str),
    rw("shipToPostCode", Str),
];

const SALES_ORDER: &[Prop] = &[
    req("customerNumber", Key(CUSTOMERS, "number")).doc("The customer to sell to."),
    rw("orderDate", Date),
    rw("shipmentMethodId", Id),
    rw("partialShipping", Bool),
    rw("requestedDeliveryDate", Date),
    ro("fullyShipped", Bool),
    ro("status", Enum(ORDER_STATUS)),
    rw("phoneNumber", Str),
    rw("email", Str),
    rw(
        "salesOrderLines",
        List("business_central.salesOrderLine", SALES_ORDER_LINE),
    ),
];

const SALES_INVOICE: &[Prop] = &[
    req("customerNumber", Key(CUSTOMERS, "number")).doc("The customer to invoice."),
    rw("invoiceDate", Date),
    rw("dueDate", Date),
    rw("customerPurchaseOrderReference", Str),
    ro("orderId", Id),
    ro("orderNumber", Str),
    rw("shipmentMethodId", Id),
    ro("remainingAmount", Decimal),
    ro("status", Enum(INVOICE_STATUS)),
    rw("phoneNumber", Str),
    rw("email", Str),
    rw(
        "salesInvoiceLines",
        List("business_central.salesInvoiceLine", SALES_INVOICE_LINE),
    ),
];

const SALES_CREDIT_MEMO: &[Prop] = &[
    req("customerNumber", Key(CUSTOMERS, "number")).doc("The customer to credit."),
    rw("creditMemoDate", Date),
    rw("dueDate", Date),
    rw("invoiceId", Key(SALES_INVOICES, "id")).doc("The invoice this credit memo corrects."),
    rw("invoiceNumber", Key(SALES_INVOICES, "number")),
    rw("customerReturnReasonId", Id),
    ro("status", Enum(INVOICE_STATUS)),
    rw("phoneNumber", Str),
    rw("email", Str),
    rw(
        "salesCreditMemoLines",
        List(
            "business_central.salesCreditMemoLine",
            SALES_CREDIT_MEMO_LINE,
        ),
    ),
];

const CUSTOMER_PAYMENT: &[Prop] = &[
    ro("id", Id),
    rw("journalId", Id),
    ro("journalDisplayName", Str),
    rw("lineNumber", Int),
    rw("customerId", Key(CUSTOMERS, "id")),
    req("customerNumber", Key(CUSTOMERS, "number")),
    rw("postingDate", Date),
    rw("documentNumber", Str),
    rw("externalDocumentNumber", Str),
    req("amount", Decimal).doc("The total amount paid, including VAT."),
    rw("appliesToInvoiceId", Key(SALES_INVOICES, "id")),
    rw("appliesToInvoiceNumber", Key(SALES_INVOICES, "number")),
    rw("description", Str),
    rw("comment", Str),
    ro("lastModifiedDateTime", DateTimeString),
];

const JOURNAL_LINE: &[Prop] = &[
    ro("id", Id),
    rw("journalId", Id),
    ro("journalDisplayName", Str),
    rw("lineNumber", Int),
    rw("accountType", Enum(ACCOUNT_TYPES)),
    rw("accountId", Id),
    req("accountNumber", Str),
    req("postingDate", Date),
    rw("documentNumber", Str),
    rw("externalDocumentNumber", Str),
    req("amount", Decimal).doc("Including VAT; positive is a debit."),
    rw("description", Str),
    rw("comment", Str),
    rw("taxCode", Str),
    rw("balanceAccountType", Enum(ACCOUNT_TYPES)),
    rw("balancingAccountId", Id),
    rw("balancingAccountNumber", Str),
    ro("lastModifiedDateTime", DateTimeString),
];

const ENTITIES: &[Entity] = &[
    Entity {
        source: CUSTOMERS,
        target: "business_central.customer",
        parts: &[CUSTOMER],
        keys: ID_AND_NUMBER,
    },
    Entity {
        source: "business_central.items",
        target: "business_central.item",
        parts: &[ITEM],
        keys: ID_AND_NUMBER,
    },
    Entity {
        source: "business_central.salesOrders",
        target: "business_central.salesOrder",
        parts: &[&DOCUMENT, &SHIP_TO, SALES_ORDER],
        keys: ID_AND_NUMBER,
    },
    Entity {
        source: SALES_INVOICES,
        target: "business_central.salesInvoice",
        parts: &[&DOCUMENT, &SHIP_TO, SALES_INVOICE],
        keys: ID_AND_NUMBER,
    },
    Entity {
        source: "business_central.salesCreditMemos",
        target: "business_central.salesCreditMemo",
        parts: &[&DOCUMENT, SALES_CREDIT_MEMO],
        keys: ID_AND_NUMBER,
    },
    Entity {
        source: "business_central.customerPayments",
        target: "business_central.customerPayment",
        parts: &[CUSTOMER_PAYMENT],
        keys: ID_ONLY,
    },
    Entity {
        source: "business_central.journalLines",
        target: "business_central.journalLine",
        parts: &[JOURNAL_LINE],
        keys: ID_ONLY,
    },
];

/// A currency's exchange rates (API v2.0 `currencyExchangeRates`, read-only): from
/// `startingDate` on, `exchangeRateAmount` units of `currencyCode` are worth
/// `relationalExchangeRateAmount` units of `relationalCurrencyCode`, blank for the local currency.
const CURRENCY_EXCHANGE_RATE: &[Prop] = &[
    ro("id", Id),
    ro("currencyCode", Str),
    ro("startingDate", Date),
    ro("exchangeRateAmount", Decimal),
    ro("relationalCurrencyCode", Str),
    ro("relationalExchangeRateAmount", Decimal),
    ro("lastModifiedDateTime", DateTimeString),
];

/// Collections a pipeline only reads, with the properties `fetch_all` may filter them on.
const READ_ONLY: &[(&str, &str, Parts, &[&str])] = &[(
    "business_central.currencyExchangeRates",
    "business_central.currencyExchangeRate",
    &[CURRENCY_EXCHANGE_RATE],
    &["currencyCode"],
)];

/// Sinks that `post` posts with `Microsoft.NAV.post`: a sales document on its own, the lines of a
/// general journal, or the payments of a customer payment journal.
const POSTING: &[(&str, Posting)] = &[
    (SALES_INVOICES, Posting::Document),
    ("business_central.salesCreditMemos", Posting::Document),
    ("business_central.journalLines", Posting::Journal),
    ("business_central.customerPayments", Posting::Payments),
];

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    add_entities(&mut registry, ENTITIES, "id");
    for (source, record, parts, filters) in READ_ONLY {
        registry.add_source(SourceSchema {
            name: source.to_string(),
            record: source_type(record, parts),
            events: IndexMap::new(),
            id_field: "id".into(),
            object_at: None,
            fetchable: Fetchable {
                by_id: true,
                filters: filters.iter().map(|f| f.to_string()).collect(),
            },
        });
    }
    // Every entity can be read by its id (GUID): `fetch(business_central.customers, id)`.
    for source in registry.sources.values_mut() {
        source.fetchable.by_id = true;
    }
    for (sink, posting) in POSTING {
        registry.posting.insert(sink.to_string(), *posting);
    }
    registry
}
