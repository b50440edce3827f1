//! Pronto Avenue's records, from shared/reference/apis-wave2.md §1.1: debtor/v4 and
//! category/v5 as documented [V], order/v4, order/v6 and product/v4 as seen in real traffic [O].
//!
//! Pronto sends decimals and quantities as text (`"44.2497"`, `"-3.0"`), blanks as `""`, and
//! times as `HH:MM DD-Mon-YYYY` in the tenant's zone. The connector hands pipelines decimals as
//! decimals, blanks as null and times as RFC 3339 (`normalize.rs`), which is what these types say.

use indexmap::IndexMap;

use crate::check::{
    Fetchable, Field, KeyShape, RecordKey, SchemaRegistry, SinkSchema, SourceSchema, TargetSchema,
    Type,
};
use crate::connectors::build::{object, opt, with_key};

/// A source: its name, its record type, its id field, and the filters `fetch_all` may use.
struct Source {
    name: &'static str,
    record: fn() -> Type,
    id_field: &'static str,
    filters: &'static [&'static str],
}

const SOURCES: &[Source] = &[
    Source {
        name: "pronto.debtors",
        record: debtor,
        id_field: "code",
        filters: &["account_code", "updated_since", "created_since"],
    },
    Source {
        name: "pronto.products",
        record: product,
        id_field: "code",
        filters: &["code", "updated_since", "created_since"],
    },
    Source {
        name: "pronto.orders",
        record: order,
        id_field: "pronto_order_number",
        filters: &[
            "number",
            "debtor",
            "customer_reference",
            "updated_since",
            "created_since",
        ],
    },
    Source {
        name: "pronto.categories",
        record: category,
        id_field: "slug",
        filters: &["updated_since", "created_since"],
    },
];

pub fn schemas() -> SchemaRegistry {
    let mut registry = SchemaRegistry::default();
    for source in SOURCES {
        registry.add_source(SourceSchema {
            name: source.name.into(),
            record: with_key(
                (source.record)(),
                source.id_field,
                source.name,
                source.id_field,
            ),
            events: IndexMap::new(),
            id_field: source.id_field.into(),
            object_at: None,
            fetchable: Fetchable {
                by_id: true,
                filters: source.filters.iter().map(|f| f.to_string()).collect(),
            },
        });
    }
    registry.add_target(TargetSchema {
        name: "pronto.order".into(),
        record: order_create(),
        metadata_limits: None,
    });
    registry.add_sink(SinkSchema {
        name: "pronto.orders".into(),
        accepts: "pronto.order".into(),
        keys: vec![RecordKey::new("pronto_order_number", KeyShape::Digits)],
    });
    registry
}

fn text() -> Field {
    opt(Type::String)
}

fn decimal(doc: &'static str) -> Field {
    opt(Type::Decimal).doc(doc)
}

fn time(doc: &'static str) -> Field {
    Field::new(Type::String).doc(doc)
}

const UPDATED_AT: &str =
    "When it last changed, RFC 3339 (Pronto's `HH:MM DD-Mon-YYYY` in the tenant's zone).";
const CREATED_AT: &str = "When it was made, RFC 3339.";

/// `address1`..`address7` and `postcode`, with `phone` for an order's.
fn address(name: &str, with_phone: bool) -> Type {
    let mut fields: Vec<(String, Field)> = (1..=7)
        .map(|n| (format!("address{n}"), text()))
        .collect();
    fields.push(("postcode".into(), text()));
    if with_phone {
        fields.push(("phone".into(), text()));
    }
    let borrowed: Vec<(&str, Field)> = fields.iter().map(|(n, f)| (n.as_str(), f.clone())).collect();
    object(name, &borrowed)
}

fn debtor() -> Type {
    object(
        "pronto.debtor",
        &[
            ("code", Field::new(Type::String).doc("The debtor's account code.")),
            ("name", Field::new(Type::String)),
            ("email", text().doc("Null when blank.")),
            ("phone", text()),
            ("fax", text()),
            ("territory", text()),
            ("website", text()),
            ("warehouse", text().doc("The debtor's default warehouse.")),
            ("customer_type", text()),
            ("delivery_address", opt(address("pronto.address", false))),
            ("created_at", opt(Type::String).doc(CREATED_AT)),
            ("updated_at", time(UPDATED_AT)),
        ],
    )
}

fn price_break() -> Type {
    object(
        "pronto.priceBreak",
        &[
            ("price_rule", text()),
            ("currency_code", text()),
            ("inc_tax", decimal("The unit price including GST.")),
            ("ex_tax", decimal("The unit price excluding GST.")),
            ("min_qty", decimal("The smallest quantity the break applies to.")),
            ("max_qty", decimal("The largest quantity the break applies to.")),
        ],
    )
}

fn base_price() -> Type {
    object(
        "pronto.basePrice",
        &[
            ("currency_code", text()),
            ("inc_tax", decimal("The unit price including GST, as Pronto holds it.")),
            ("ex_tax", decimal("The unit price excluding GST, as Pronto holds it.")),
        ],
    )
}

fn product() -> Type {
    let prices = object(
        "pronto.price",
        &[
            (
                "debtor",
                text().doc("Null for the public price (Avenue gives one price per product)."),
            ),
            ("breaks", opt(Type::list(price_break()))),
            ("base_price", opt(base_price())),
        ],
    );
    let stock = object(
        "pronto.inventoryQuantity",
        &[
            ("warehouse", Field::new(Type::String)),
            (
                "quantity",
                decimal("On hand in that warehouse; negative when oversold."),
            ),
        ],
    );
    let uom = object(
        "pronto.uom",
        &[
            ("code", Field::new(Type::String)),
            ("conv", decimal("Units of the stock unit in one of these.")),
            ("gtin", text()),
            ("weight", decimal("")),
            ("height", decimal("")),
            ("width", decimal("")),
            ("depth", decimal("")),
        ],
    );
    let category = object(
        "pronto.productCategory",
        &[
            ("slug", Field::new(Type::String)),
            ("url", text()),
            ("search_url", text()),
        ],
    );
    let image = object(
        "pronto.image",
        &[
            ("filename", text()),
            ("content_type", text()),
            ("updated_at", text()),
            ("url", text()),
        ],
    );
    object(
        "pronto.product",
        &[
            ("code", Field::new(Type::String).doc("The item code.")),
            ("description", Field::new(Type::String)),
            ("description1", text()),
            ("description2", text()),
            ("description3", text()),
            ("apn", text().doc("The GTIN (barcode).")),
            ("group_code", text()),
            ("brand", text()),
            ("stock_status", text()),
            ("uom", text().doc("The unit it is sold in (EA, BOX, ...).")),
            ("pack_size", decimal("")),
            ("saleability", text()),
            ("visibility", text()),
            ("prices", opt(Type::list(prices))),
            ("inventory_quantities", opt(Type::list(stock))),
            ("uoms", opt(Type::list(uom))),
            ("categories", opt(Type::list(category))),
            ("images", opt(Type::list(image))),
            ("created_at", opt(Type::String).doc(CREATED_AT)),
            ("updated_at", time(UPDATED_AT)),
        ],
    )
}

fn order_line() -> Type {
    object(
        "pronto.orderLine",
        &[
            (
                "type",
                text().doc("SN a stock line, DN a note line; the full list is unknown."),
            ),
            ("stock_code", text()),
            ("description", text()),
            ("ordered_qty", decimal("")),
            ("backordered_qty", decimal("")),
            ("shipped_qty", decimal("")),
            ("uom", text()),
            ("price_ex_tax", decimal("The unit price excluding GST.")),
            ("price_inc_tax", decimal("The unit price including GST.")),
        ],
    )
}

fn order() -> Type {
    let instructions: Vec<(String, Field)> =
        (1..=7).map(|n| (format!("del_inst_{n}"), text())).collect();
    let instructions: Vec<(&str, Field)> = instructions
        .iter()
        .map(|(n, f)| (n.as_str(), f.clone()))
        .collect();
    object(
        "pronto.order",
        &[
            (
                "pronto_order_number",
                Field::new(Type::String).doc("Pronto's order number."),
            ),
            ("suffix", text()),
            (
                "customer_reference",
                text().doc("The buyer's reference: its purchase-order number."),
            ),
            ("debtor", Field::new(Type::String).doc("The debtor's code.")),
            (
                "status_code",
                text().doc("30 processing, 40 picking slip printed, 80/90 shipped or complete."),
            ),
            ("status_desc", text()),
            ("carrier_code", text()),
            (
                "consignment_note",
                text().doc("The tracking number, at status 80 or 90."),
            ),
            ("currency_code", text()),
            ("delivery_address", opt(address("pronto.orderAddress", true))),
            (
                "delivery_instructions",
                opt(object("pronto.deliveryInstructions", &instructions)),
            ),
            ("payment_method", text()),
            ("payment_reference", text()),
            ("payment_amount", decimal("The payment the order carries [U].")),
            ("lines", opt(Type::list(order_line()))),
            ("created_at", opt(Type::String).doc(CREATED_AT)),
            ("updated_at", time(UPDATED_AT)),
        ],
    )
}

fn category() -> Type {
    object(
        "pronto.category",
        &[
            ("slug", Field::new(Type::String)),
            ("url", text()),
            ("public_title", text()),
            ("created_at", opt(Type::String).doc(CREATED_AT)),
            ("updated_at", time(UPDATED_AT)),
        ],
    )
}

/// What order/v6 takes. Written once: Avenue has no call that changes an order.
fn order_create() -> Type {
    let payment = object(
        "pronto.payment",
        &[
            (
                "method",
                Field::new(Type::String)
                    .required()
                    .doc("The tenant's payment method code (CC, PP, GV, ...)."),
            ),
            ("reference", Field::new(Type::String).doc("The payment's reference.")),
            (
                "amount",
                Field::new(Type::Decimal)
                    .required()
                    .doc("The amount paid, GST included: the order's total."),
            ),
            ("currency_code", Field::new(Type::String).required()),
        ],
    );
    let line = object(
        "pronto.orderLine",
        &[
            (
                "type",
                Field::new(Type::String).doc("SN for a stock line (the default)."),
            ),
            (
                "item_code",
                Field::new(Type::String)
                    .required()
                    .doc("The product's item code."),
            ),
            ("quantity", Field::new(Type::Decimal).required()),
            ("uom", Field::new(Type::String)),
            ("price_ex_tax", Field::new(Type::Decimal)),
            (
                "price_inc_tax",
                Field::new(Type::Decimal)
                    .required()
                    .doc("The unit price including GST."),
            ),
        ],
    );
    object(
        "pronto.order",
        &[
            (
                "customer_reference",
                Field::new(Type::String)
                    .required()
                    .doc("The buyer's reference; orders are matched on it."),
            ),
            (
                "debtor",
                Field::new(Type::String)
                    .required()
                    .doc("The debtor's account code."),
            ),
            ("delivery_address", Field::new(address("pronto.orderAddress", true))),
            ("payment", Field::new(payment)),
            ("lines", Field::new(Type::list(line)).required()),
        ],
    )
}
