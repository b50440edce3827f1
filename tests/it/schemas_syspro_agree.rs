//! Syspro's customer and sales order are linted against the connector's schema
//! (`connectors/syspro/schema.rs`) and checked by the emulator's rules (`sandbox/syspro/`), which
//! take their elements and lengths from that schema. What the schema cannot say, the emulator
//! checks by its own rules; through the real client, the two must agree: a record with every
//! field lint lets a pipeline write, each at its longest and each line type once, goes in and
//! comes back; one character more, or a field lint requires left out, is refused.

use std::net::SocketAddr;

use ferry::check::{Field, ObjectType, Type};
use ferry::connectors::http::{HttpConfig, Secret};
use ferry::connectors::syspro::{Logon, SysproClient};
use ferry::connectors::{Client, Write};
use ferry::sandbox::syspro::{COMPANY_ID, OPERATOR, OPERATOR_PASSWORD};
use ferry::sandbox::{Sandbox, SandboxHandle};
use serde_json::{Map, Value, json};

use crate::schemas_support::{assert_agree, target};

/// What a record may refer to in the emulator's company.
struct Company {
    stock_code: String,
    warehouse: String,
    currency: String,
}

struct Emulator {
    handle: SandboxHandle,
    client: SysproClient,
    company: Company,
}

async fn start() -> Emulator {
    ferry::init_tls();
    let sandbox = Sandbox::builder().build();
    let company = {
        let data = sandbox.syspro().unwrap().data();
        Company {
            stock_code: data.stock.keys().next().unwrap().clone(),
            warehouse: data.warehouses.iter().next().unwrap().clone(),
            currency: data.currencies.iter().next().unwrap().clone(),
        }
    };
    let handle = sandbox
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let logon = Logon {
        operator: OPERATOR.into(),
        operator_password: Secret::new(OPERATOR_PASSWORD),
        company_id: COMPANY_ID.into(),
        company_password: None,
    };
    let base = format!("{}/syspro", handle.base_url());
    let client = SysproClient::with_config(&base, logon, HttpConfig::default()).unwrap();
    Emulator {
        handle,
        client,
        company,
    }
}

fn list_item(field: &Field) -> &ObjectType {
    match &field.ty {
        Type::List(item) => match &**item {
            Type::Object(object) => object,
            other => panic!("a list of {other}"),
        },
        other => panic!("{other} is no list"),
    }
}

/// `length` characters of text that start as `start` does.
fn text(start: &str, length: usize) -> String {
    start
        .chars()
        .chain(std::iter::repeat('X'))
        .take(length)
        .collect()
}

/// A value lint accepts for `field`, at its longest (`extra` characters more), that the company
/// takes: a stock code, a warehouse and a currency on file, an email address.
fn sample(name: &str, field: &Field, extra: usize, company: &Company) -> Value {
    let longest = field.max_length.map(|n| n + extra);
    match (name, &field.ty) {
        ("StockCode", _) => json!(company.stock_code),
        ("Warehouse", _) => json!(company.warehouse),
        ("Currency", _) if extra == 0 => json!(company.currency),
        ("Email", _) => json!(text("ada@example.com", longest.unwrap_or(20))),
        ("Customer", _) => json!(text("C", longest.unwrap_or(15))),
        (_, Type::Decimal) => json!(5),
        (_, Type::Date) => json!("2026-01-31"),
        (_, Type::String | Type::Key(_)) => json!(text(name, longest.unwrap_or(20))),
        (_, other) => panic!("no sample for {name}: {other}"),
    }
}

/// A record with every field of `record` (lists aside) at its longest.
fn every_field(record: &ObjectType, company: &Company) -> Map<String, Value> {
    record
        .fields
        .iter()
        .filter(|(_, field)| !matches!(field.ty, Type::List(_)))
        .map(|(name, field)| (name.clone(), sample(name, field, 0, company)))
        .collect()
}

/// A sales order for `customer` with every header field and one line of each type lint allows,
/// each line with every field.
fn every_order_field(customer: &Map<String, Value>, company: &Company) -> Map<String, Value> {
    let order = target("syspro.salesOrder");
    let mut record = every_field(order, company);
    record.insert("Customer".into(), customer["Customer"].clone());
    record.insert("Currency".into(), customer["Currency"].clone());
    let line = list_item(&order.fields["lines"]);
    let line_types = line.fields["LineType"].allowed.clone().unwrap();
    let lines: Vec<Value> = line_types
        .iter()
        .enumerate()
        .map(|(index, line_type)| {
            let mut line = every_field(line, company);
            line.insert("LineType".into(), json!(line_type));
            line.insert("CustomerPoLine".into(), json!((index + 1).to_string()));
            Value::Object(line)
        })
        .collect();
    record.insert("lines".into(), Value::Array(lines));
    record
}

fn write(fields: &Map<String, Value>) -> Write {
    Write {
        fields: Value::Object(fields.clone()),
        idempotency_key: "agree".into(),
    }
}

impl Emulator {
    /// Creates `record` in `collection` and reads it back: what the emulator serves, and each
    /// field (lists aside) it does not serve as it was written.
    async fn round_trip(
        &self,
        collection: &str,
        record: &Map<String, Value>,
    ) -> (Value, Vec<String>) {
        let created = self.client.create(collection, &write(record)).await;
        let created = created.unwrap_or_else(|e| panic!("{collection}: refused: {e}"));
        let served = self.client.get(collection, &created.id).await.unwrap();
        let served = served.unwrap().data;
        let as_text = |v: &Value| match v {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let problems = record
            .iter()
            .filter(|(_, written)| !written.is_array())
            .filter(|(name, written)| {
                served.get(name.as_str()).map(as_text) != Some(as_text(written))
            })
            .map(|(name, written)| {
                format!(
                    "{collection}.{name}: wrote {written}, the emulator serves {:?}",
                    served.get(name.as_str())
                )
            })
            .collect();
        (served, problems)
    }
}

#[tokio::test]
async fn a_customer_with_every_field_at_its_longest_goes_in_and_one_character_more_is_refused() {
    let emulator = start().await;
    let customer = target("syspro.customer");
    let record = every_field(customer, &emulator.company);
    let (_, mut problems) = emulator.round_trip("customers", &record).await;
    let limited = customer
        .fields
        .iter()
        .filter(|(_, f)| f.max_length.is_some());
    let mut compared = 0;
    for (name, field) in limited {
        compared += 1;
        let mut longer = every_field(customer, &emulator.company);
        longer.insert("Customer".into(), json!(format!("L{compared}")));
        longer.insert(name.clone(), sample(name, field, 1, &emulator.company));
        if let Ok(record) = emulator.client.create("customers", &write(&longer)).await {
            problems.push(format!(
                "{name}: {} characters go in ({})",
                field.max_length.unwrap() + 1,
                record.id
            ));
        }
    }
    assert!(compared >= 14, "only {compared} lengths compared");
    emulator.handle.shutdown().await.unwrap();
    assert_agree(&problems);
}

#[tokio::test]
async fn an_order_with_every_field_and_line_type_goes_in_and_without_a_required_field_is_refused() {
    let emulator = start().await;
    let company = &emulator.company;
    let customer = every_field(target("syspro.customer"), company);
    emulator
        .client
        .create("customers", &write(&customer))
        .await
        .unwrap();
    let record = every_order_field(&customer, company);
    let (served, mut problems) = emulator.round_trip("salesOrders", &record).await;
    let lines = served["lines"].as_array().unwrap();
    let line_types: Vec<&Value> = lines.iter().map(|line| &line["LineType"]).collect();
    let written: Vec<&Value> = record["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| &line["LineType"])
        .collect();
    if line_types != written {
        problems.push(format!(
            "lines: wrote types {written:?}, the emulator serves {line_types:?}"
        ));
    }

    // Each field lint requires, left out of a new order (of the first line, a stock line).
    let order = target("syspro.salesOrder");
    let line = list_item(&order.fields["lines"]);
    let required = order
        .fields
        .iter()
        .filter(|(_, f)| f.required)
        .map(|(name, _)| (None, name))
        .chain(
            line.fields
                .iter()
                .filter(|(_, f)| f.required)
                .map(|(name, _)| (Some(0), name)),
        );
    for (index, (line, name)) in required.enumerate() {
        let mut without = every_order_field(&customer, company);
        without.insert(
            "CustomerPoNumber".into(),
            json!(format!("PO-WITHOUT-{index}")),
        );
        match line {
            None => without.remove(name.as_str()),
            Some(line) => without["lines"][line].as_object_mut().unwrap().remove(name),
        };
        if let Ok(order) = emulator
            .client
            .create("salesOrders", &write(&without))
            .await
        {
            problems.push(format!("{name}: left out, order {} goes in", order.id));
        }
    }

    // One character more than the longest header value.
    let limited = order.fields.iter().filter(|(_, f)| f.max_length.is_some());
    for (name, field) in limited {
        let mut longer = every_order_field(&customer, company);
        longer.insert(name.clone(), sample(name, field, 1, company));
        if let Ok(order) = emulator.client.create("salesOrders", &write(&longer)).await {
            problems.push(format!(
                "{name}: {} characters go in (order {})",
                field.max_length.unwrap() + 1,
                order.id
            ));
        }
    }
    emulator.handle.shutdown().await.unwrap();
    assert_agree(&problems);
}
