//! Document lines (sales order, invoice and credit memo lines), from the API v2.0 reference.

use crate::connectors::build::Kind::{Bool, Date, Decimal, Enum, Id, Int, String as Str};
use crate::connectors::build::{Parts, Prop, ro, rw};

/// `lineType` values (NAV.invoiceLineAggLineType).
pub const LINE_TYPES: &[&str] = &[
    "Comment",
    "Account",
    "Item",
    "Resource",
    "Value",
    "Fixed Asset",
    "Charge",
];

/// The properties every sales document line has.
const COMMON: [Prop; 26] = [
    ro("id", Id),
    ro("documentId", Id),
    rw("sequence", Int),
    rw("itemId", Id),
    rw("accountId", Id),
    rw("lineType", Enum(LINE_TYPES)),
    rw("lineObjectNumber", Str).doc("The item or account number."),
    rw("description", Str),
    rw("unitOfMeasureId", Id),
    rw("unitOfMeasureCode", Str),
    rw("quantity", Decimal),
    rw("unitPrice", Decimal),
    rw("discountAmount", Decimal),
    rw("discountPercent", Decimal),
    ro("discountAppliedBeforeTax", Bool),
    ro("amountExcludingTax", Decimal),
    rw("taxCode", Str),
    ro("taxPercent", Decimal),
    ro("totalTaxAmount", Decimal),
    ro("amountIncludingTax", Decimal),
    ro("invoiceDiscountAllocation", Decimal),
    ro("netAmount", Decimal),
    ro("netTaxAmount", Decimal),
    ro("netAmountIncludingTax", Decimal),
    rw("shipmentDate", Date),
    rw("itemVariantId", Id),
];

const ORDER_ONLY: &[Prop] = &[
    ro("shippedQuantity", Decimal),
    ro("invoicedQuantity", Decimal),
    ro("invoiceQuantity", Decimal),
    rw("shipQuantity", Decimal),
];

pub const SALES_ORDER_LINE: Parts = &[&COMMON, ORDER_ONLY];
pub const SALES_INVOICE_LINE: Parts = &[&COMMON];
pub const SALES_CREDIT_MEMO_LINE: Parts = &[&COMMON];
