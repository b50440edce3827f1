//! Stripe's sources, map targets and sinks, built from the derived table.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::check::{
    Fetchable, Field, KeyShape, MetadataLimits, ObjectType, RecordKey, SchemaRegistry, SinkSchema,
    SourceSchema, TargetSchema, Type,
};
use crate::connectors::build::with_key;

use super::convert::{self, TableError};
use super::table::{self, Table};

/// Source stream -> the response object one record is, and the list parameters that filter
/// it (what `fetch_all` accepts).
/// Stripe's metadata limits (docs: "Metadata"): the checker holds maps to them, and the
/// emulator refuses writes past them.
pub const METADATA_LIMITS: MetadataLimits = MetadataLimits {
    system: "Stripe",
    max_keys: 50,
    max_key_chars: 40,
    max_value_chars: 500,
    key_forbids: &['[', ']'],
};

const SOURCES: &[(&str, &str, &[&str])] = &[
    ("stripe.customers", "customer", &["email"]),
    (
        "stripe.charges",
        "charge",
        &["customer", "payment_intent", "transfer_group"],
    ),
    ("stripe.refunds", "refund", &["charge", "payment_intent"]),
    ("stripe.disputes", "dispute", &["charge", "payment_intent"]),
    ("stripe.payouts", "payout", &["status", "destination"]),
    (
        "stripe.balance_transactions",
        "balance_transaction",
        &["payout", "type", "source", "currency"],
    ),
    (
        "stripe.invoices",
        "invoice",
        &["customer", "subscription", "status"],
    ),
    (
        "stripe.subscriptions",
        "subscription",
        &["customer", "status", "price", "collection_method"],
    ),
    (
        "stripe.products",
        "product",
        &["active", "shippable", "url"],
    ),
    (
        "stripe.prices",
        "price",
        &["active", "currency", "product", "type"],
    ),
];

/// Map target -> the create endpoint's parameters, the sink collection writing it, and the
/// shape of its ids (a product's id may be chosen by the caller).
const TARGETS: &[(&str, &str, &str, KeyShape)] = &[
    (
        "stripe.customer",
        "customer_create",
        "stripe.customers",
        KeyShape::Prefixed("cus_"),
    ),
    (
        "stripe.product",
        "product_create",
        "stripe.products",
        KeyShape::Text { max_length: 255 },
    ),
    (
        "stripe.price",
        "price_create",
        "stripe.prices",
        KeyShape::Prefixed("price_"),
    ),
    (
        "stripe.invoice",
        "invoice_create",
        "stripe.invoices",
        KeyShape::Prefixed("in_"),
    ),
    (
        "stripe.invoiceitem",
        "invoiceitem_create",
        "stripe.invoiceitems",
        KeyShape::Prefixed("ii_"),
    ),
];

/// Target fields that hold the id of another Stripe record.
const TARGET_REFERENCES: &[(&str, &str, &str)] = &[
    ("stripe.invoice", "customer", "stripe.customers"),
    ("stripe.invoiceitem", "customer", "stripe.customers"),
    ("stripe.invoiceitem", "invoice", "stripe.invoices"),
    ("stripe.price", "product", "stripe.products"),
];

/// Every Stripe schema, or what is wrong with the embedded table.
pub fn registry() -> Result<SchemaRegistry, TableError> {
    let table = table::table().map_err(|e| TableError(e.to_string()))?;
    let mut roots = Roots::default();
    let mut registry = SchemaRegistry::default();
    for (source, object, filters) in SOURCES {
        registry.add_source(SourceSchema {
            name: source.to_string(),
            record: roots.get(table, object)?,
            events: IndexMap::new(),
            id_field: "id".into(),
            object_at: None,
            fetchable: Fetchable {
                by_id: true,
                filters: filters.iter().map(|f| f.to_string()).collect(),
            },
        });
    }
    registry.add_source(events_source(table, &mut roots)?);
    for (target, request, sink, shape) in TARGETS {
        let mut record = renamed(convert::request(&table.requests, request)?, target);
        for (_, field, collection) in TARGET_REFERENCES.iter().filter(|r| r.0 == *target) {
            record = with_key(record, field, collection, "id");
        }
        registry.add_target(TargetSchema {
            name: target.to_string(),
            record,
            metadata_limits: Some(METADATA_LIMITS),
        });
        registry.add_sink(SinkSchema {
            name: sink.to_string(),
            accepts: target.to_string(),
            keys: vec![RecordKey::new("id", shape.clone())],
        });
    }
    Ok(registry)
}

/// `stripe.events`: the generic event, narrowed per event type to one whose `data.object` is
/// the object that event carries.
fn events_source(table: &Table, roots: &mut Roots) -> Result<SourceSchema, TableError> {
    let event = roots.get(table, "event")?;
    let mut events = IndexMap::new();
    for (event_type, object) in &table.event_types {
        let data_object = match object.as_str() {
            "any" => Type::Any,
            name => roots.get(table, name)?,
        };
        events.insert(
            event_type.clone(),
            narrowed(&event, event_type, data_object)?,
        );
    }
    Ok(SourceSchema {
        name: "stripe.events".into(),
        record: event,
        events,
        id_field: "id".into(),
        object_at: Some("/data/object"),
        fetchable: Default::default(),
    })
}

/// Root object types built once each: 188 event types share about a dozen objects, and the
/// types are reference-counted, so sharing makes the registry cheap to build on every lint.
#[derive(Default)]
struct Roots(std::collections::HashMap<String, Type>);

impl Roots {
    fn get(&mut self, table: &Table, name: &str) -> Result<Type, TableError> {
        if let Some(ty) = self.0.get(name) {
            return Ok(ty.clone());
        }
        let mut ty = convert::object(&table.objects, name)?;
        // An object's own id is a key of the collection that lists it.
        if let Some((collection, ..)) = SOURCES.iter().find(|source| source.1 == name) {
            ty = with_key(ty, "id", collection, "id");
        }
        self.0.insert(name.to_string(), ty.clone());
        Ok(ty)
    }
}

/// The event type with `data` = `{ object: <data_object>, previous_attributes: any }`.
fn narrowed(event: &Type, event_type: &str, data_object: Type) -> Result<Type, TableError> {
    let Type::Object(generic) = event else {
        return Err(TableError("`event` is not an object".into()));
    };
    let mut object = ObjectType::clone(generic);
    object.name = Some(format!("stripe.event<{event_type}>"));
    let data = ObjectType::named(format!("stripe.event_data<{event_type}>"))
        .field(
            "object",
            Field::new(data_object).doc("The object the event is about."),
        )
        .field(
            "previous_attributes",
            Field::new(Type::Any).doc("Previous values of changed attributes (*.updated events)."),
        );
    let Some(field) = object.fields.get_mut("data") else {
        return Err(TableError("`event` has no `data` field".into()));
    };
    field.ty = Type::object(data);
    Ok(Type::object(object))
}

/// The same object type under the schema name pipelines use (`stripe.customer`).
fn renamed(ty: Type, name: &str) -> Type {
    match ty {
        Type::Object(object) => {
            let mut object = Arc::unwrap_or_clone(object);
            object.name = Some(name.to_string());
            Type::object(object)
        }
        other => other,
    }
}
