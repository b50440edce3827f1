//! Pronto schemas. UNVERIFIED: no public specification of the Pronto API was found; field names
//! follow the e-commerce endpoints as reported (`/api/json/debtor/v4`, `order/v4`; see
//! shared/reference/apis.md). Timestamps come as `DD-MM-YYYY-HH-MM` strings; pipelines parse them.

use crate::check::SchemaRegistry;
use crate::connectors::build::Kind::{Bool, Decimal, List, String as Str};
use crate::connectors::build::{Prop, add_source, ro};

const DEBTOR: &[Prop] = &[
    ro("account_code", Str),
    ro("name", Str),
    ro("email", Str).optional(),
    ro("phone", Str).optional(),
    ro("address_1", Str).optional(),
    ro("address_2", Str).optional(),
    ro("suburb", Str).optional(),
    ro("state", Str).optional(),
    ro("postcode", Str).optional(),
    ro("country", Str).optional(),
    ro("credit_limit", Decimal).optional(),
    ro("balance", Decimal).optional(),
    ro("updated", Str).optional(),
];

const INVENTORY: &[Prop] = &[
    ro("item_code", Str),
    ro("description", Str),
    ro("price", Decimal).optional(),
    ro("gst_inclusive", Bool).optional(),
    ro("unit", Str).optional(),
    ro("stock_on_hand", Decimal).optional(),
    ro("category", Str).optional(),
    ro("updated", Str).optional(),
];

const ORDER_LINE: &[Prop] = &[
    ro("item_code", Str),
    ro("description", Str).optional(),
    ro("quantity", Decimal),
    ro("price", Decimal).optional(),
];

const ORDER: &[Prop] = &[
    ro("order_no", Str),
    ro("account_code", Str),
    ro("customer_reference", Str).optional(),
    ro("order_date", Str).optional(),
    ro("status", Str).optional(),
    ro("currency", Str).optional(),
    ro("total", Decimal).optional(),
    ro("lines", List("pronto.orderLine", &[ORDER_LINE])),
    ro("created", Str).optional(),
    ro("updated", Str).optional(),
];

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    add_source(
        &mut registry,
        "pronto.debtors",
        "pronto.debtor",
        &[DEBTOR],
        "account_code",
    );
    add_source(
        &mut registry,
        "pronto.inventory",
        "pronto.item",
        &[INVENTORY],
        "item_code",
    );
    add_source(
        &mut registry,
        "pronto.orders",
        "pronto.order",
        &[ORDER],
        "order_no",
    );
    registry
}
