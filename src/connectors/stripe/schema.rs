//! Stripe's sources, map targets and sinks, built from the derived table.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::check::{
    Fetchable, Field, ObjectType, SchemaRegistry, SinkSchema, SourceSchema, TargetSchema, Type,
};

use super::convert::{self, TableError};
use super::table::{self, Table};

/// Source stream -> the response object one record is, and the list parameters that filter
/// it (what `fetch_all` accepts).
const SOURCES: &[(&str, &str, &[&str])] = &[
    ("stripe.customers", "customer", &["email"]),
    (
        "stripe.charges",
        "charge",
        &["customer", "payment_intent", "transfer_group"],
    ),
    ("stripe.refunds", "refund", &["charge", "payment_intent"]),
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

/// Map target -> the create endpoint's parameters, and the sink collection writing it.
const TARGETS: &[(&str, &str, &str)] = &[
    ("stripe.customer", "customer_create", "stripe.customers"),
    ("stripe.product", "product_create", "stripe.products"),
    ("stripe.price", "price_create", "stripe.prices"),
    ("stripe.invoice", "invoice_create", "stripe.invoices"),
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
            fetchable: Fetchable {
                by_id: true,
                filters: filters.iter().map(|f| f.to_string()).collect(),
            },
        });
    }
    registry.add_source(events_source(table, &mut roots)?);
    for (target, request, sink) in TARGETS {
        let record = convert::request(&table.requests, request)?;
        registry.add_target(TargetSchema {
            name: target.to_string(),
            record: renamed(record, target),
            stripe_metadata: true,
        });
        registry.add_sink(SinkSchema {
            name: sink.to_string(),
            accepts: target.to_string(),
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
        let ty = convert::object(&table.objects, name)?;
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
