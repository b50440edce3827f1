//! Seeded drift in Syspro's customers, made as an operator makes it in Customer Maintenance,
//! and in its sales orders, as in Sales Order Entry: a header field or a line's value edited,
//! an order deleted, an order typed in by hand.

use indexmap::IndexMap;
use jiff::Timestamp;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use super::data::{Customer, OrderLine, SalesOrder, SysproData};
use crate::connectors::syspro::orders::LINE_KINDS;
use crate::sandbox::drift::{
    DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable, item_field,
};

const COLLECTIONS: &[DriftableCollection] = &[
    // `stripe_customers_to_syspro` writes customers, always with a name.
    DriftableCollection {
        system: "syspro",
        name: "customers",
        fields: &[
            DriftField::text("Name"),
            DriftField::email("Email"),
            DriftField::phone("Telephone"),
            DriftField::text("SoldToAddr1"),
            DriftField::text("SoldPostalCode"),
        ],
        default_fields: &["Name"],
    },
    // `stripe_charges_to_syspro` imports sales orders: dated, with one line priced at the
    // charge. A line's field is named by its place, as a reconcile names it: `lines[0].Price`.
    DriftableCollection {
        system: "syspro",
        name: "salesOrders",
        fields: &[
            DriftField::date("OrderDate"),
            DriftField::text("OrderComments"),
            DriftField::email("Email"),
            DriftField::amount("lines[0].Price"),
        ],
        default_fields: &["OrderDate", "lines[0].Price"],
    },
];

pub fn drift(
    data: &mut SysproData,
    collection: &str,
    plan: &DriftPlan,
    rng: &mut StdRng,
) -> Drifted {
    let drifting = driftable(COLLECTIONS, "syspro", collection)?;
    match drifting.name {
        "salesOrders" => apply(drifting, &mut Orders(data), plan, rng),
        _ => apply(drifting, &mut Customers(data), plan, rng),
    }
}

/// The customers, as Customer Maintenance changes them.
struct Customers<'a>(&'a mut SysproData);

impl DriftTarget for Customers<'_> {
    fn ferrys(&self) -> Vec<String> {
        let data = &self.0;
        let codes = data.customers.keys();
        codes
            .filter(|code| !data.not_ferrys.contains(*code))
            .cloned()
            .collect()
    }

    fn field(&self, code: &str, field: &str) -> Value {
        self.0
            .customers
            .get(code)
            .map_or(Value::Null, |c| Value::String(c.get(field).to_string()))
    }

    fn set_field(&mut self, code: &str, field: &str, value: Value) -> bool {
        let Some(customer) = self.0.customers.get_mut(code) else {
            return false;
        };
        let text = value.as_str().unwrap_or_default().to_string();
        customer.fields.insert(field.to_string(), text);
        true
    }

    fn delete(&mut self, code: &str) -> Option<Value> {
        self.0.customers.remove(code).map(|c| as_json(&c))
    }

    /// A customer an operator set up by hand: no `StripeCustomerId`.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        let data = &mut *self.0;
        let code = loop {
            let code = format!("W{:06}", rng.random_range(0..1_000_000));
            if !data.customers.contains_key(&code) {
                break code;
            }
        };
        let customer = Customer::from_pairs(&[
            ("Customer", code.clone()),
            ("Name", format!("Walk-in {token}")),
            ("ShortName", "WALKIN".into()),
            ("Branch", "01".into()),
            ("Salesperson", "CB".into()),
            ("Email", format!("walk-in.{token}@example.net")),
            ("Currency", "AUD".into()),
            ("TermsCode", "30".into()),
            ("TaxCode", "G".into()),
            ("CreditLimit", "0.00".into()),
            ("CurrentBalance", "0.00".into()),
        ]);
        let record = as_json(&customer);
        data.customers.insert(code.clone(), customer);
        data.not_ferrys.insert(code.clone());
        Some((code, record))
    }
}

/// The sales orders, as Sales Order Entry changes them.
struct Orders<'a>(&'a mut SysproData);

/// The element a line of kind `element` keeps the record's `field` in (`Price` of a
/// `MiscChargeLine` is its `MiscChargeValue`), as the connector maps them.
fn line_element(element: &str, field: &str) -> Option<&'static str> {
    let kind = LINE_KINDS.iter().find(|kind| kind.element == element)?;
    let (_, wire) = kind.fields.iter().find(|(name, _)| *name == field)?;
    Some(wire)
}

/// An amount as the number it is, other text as text.
fn line_value(text: &str) -> Value {
    match text.parse::<rust_decimal::Decimal>() {
        Ok(_) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
        Err(_) => Value::String(text.into()),
    }
}

impl DriftTarget for Orders<'_> {
    fn ferrys(&self) -> Vec<String> {
        let data = &self.0;
        let numbers = data.orders.keys();
        numbers
            .filter(|number| !data.orders_not_ferrys.contains(*number))
            .cloned()
            .collect()
    }

    fn field(&self, number: &str, field: &str) -> Value {
        let Some(order) = self.0.orders.get(number) else {
            return Value::Null;
        };
        match item_field(field, "lines") {
            Some((index, name)) => {
                let line = order.lines.get(index);
                let value = line.and_then(|line| {
                    let element = line_element(&line.element, name)?;
                    line.fields.get(element)
                });
                value.map_or(Value::Null, |text| line_value(text))
            }
            None => match order.header.get(field) {
                Some(text) => Value::String(text.clone()),
                None => Value::Null,
            },
        }
    }

    fn set_field(&mut self, number: &str, field: &str, value: Value) -> bool {
        let Some(order) = self.0.orders.get_mut(number) else {
            return false;
        };
        let text = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        match item_field(field, "lines") {
            Some((index, name)) => {
                let Some(line) = order.lines.get_mut(index) else {
                    return false;
                };
                let Some(element) = line_element(&line.element, name) else {
                    return false;
                };
                line.fields.insert(element.to_string(), text);
            }
            None => {
                order.header.insert(field.to_string(), text);
            }
        }
        true
    }

    fn delete(&mut self, number: &str) -> Option<Value> {
        self.0.orders.remove(number).map(|order| order_json(&order))
    }

    /// An order typed in at the counter for the first customer on file, with one charge line.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        let data = &mut *self.0;
        let (code, customer) = data.customers.iter().next()?;
        let (code, currency) = (code.clone(), customer.get("Currency").to_string());
        data.next_order += 1;
        let number = format!("{:06}", data.next_order);
        let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let header = [
            ("SalesOrder", number.clone()),
            ("OrderStatus", "1".into()),
            ("CustomerPoNumber", format!("COUNTER-{token}")),
            ("Customer", code),
            ("OrderDate", today.to_string()),
            ("Currency", currency),
        ];
        let cents = rng.random_range(100..100_000);
        let line = [
            ("CustomerPoLine", "1".to_string()),
            ("MiscDescription", "COUNTER-SALE".into()),
            ("MiscQuantity", "1".into()),
            (
                "MiscChargeValue",
                format!("{}.{:02}", cents / 100, cents % 100),
            ),
        ];
        let order = SalesOrder {
            header: text_map(&header),
            lines: vec![OrderLine {
                element: "MiscChargeLine".into(),
                fields: text_map(&line),
            }],
        };
        let record = order_json(&order);
        data.orders.insert(number.clone(), order);
        data.orders_not_ferrys.insert(number.clone());
        Some((number, record))
    }
}

fn text_map(pairs: &[(&str, String)]) -> IndexMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

fn order_json(order: &SalesOrder) -> Value {
    let texts = |fields: &IndexMap<String, String>| {
        let pairs = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())));
        Value::Object(pairs.collect())
    };
    let lines = order.lines.iter().map(|line| {
        let mut fields = texts(&line.fields);
        fields["element"] = Value::String(line.element.clone());
        fields
    });
    let mut record = texts(&order.header);
    record["lines"] = Value::Array(lines.collect());
    record
}

fn as_json(customer: &Customer) -> Value {
    Value::Object(
        customer
            .fields
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::sandbox::syspro::seed;

    #[test]
    fn drift_leaves_seed_data_alone_and_records_what_it_did() {
        let mut data = seed::populated(5);
        let seeded = data.customers.len();
        for n in 0..4 {
            let code = format!("S{n:09}");
            let customer = Customer::from_pairs(&[
                ("Customer", code.clone()),
                ("Name", format!("Made {n}")),
                ("StripeCustomerId", format!("cus_{n}")),
            ]);
            data.customers.insert(code, customer);
        }
        let plan = DriftPlan {
            change: 2,
            delete: 1,
            add: 1,
            fields: Vec::new(),
        };
        let actions = drift(&mut data, "customers", &plan, &mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(actions.len(), 4);
        for changed in &actions[..2] {
            assert!(changed.id.starts_with('S'), "{changed:?}");
            assert_eq!(changed.field.as_deref(), Some("Name"));
            let now = data.customers[&changed.id].get("Name");
            assert_eq!(
                Some(&Value::String(now.to_string())),
                changed.after.as_ref()
            );
            assert_ne!(changed.before, changed.after);
        }
        assert!(actions[2].id.starts_with('S'));
        assert!(!data.customers.contains_key(&actions[2].id));
        let added = &data.customers[&actions[3].id];
        assert_eq!(added.get("StripeCustomerId"), "");
        assert_eq!(data.customers.len(), seeded + 4 - 1 + 1);
        let too_many = DriftPlan { change: 3, ..plan };
        let error = drift(
            &mut data,
            "customers",
            &too_many,
            &mut StdRng::seed_from_u64(2),
        )
        .unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftTooFewRecords);
    }

    #[test]
    fn an_orders_line_price_drifts_in_its_own_element_and_an_added_order_is_no_ones() {
        let mut data = seed::populated(5);
        let code = data.customers.keys().next().unwrap().clone();
        for n in 1..=3 {
            let number = format!("{n:06}");
            let line = OrderLine {
                element: "MiscChargeLine".into(),
                fields: text_map(&[
                    ("CustomerPoLine", "1".into()),
                    ("MiscChargeValue", "125.50".into()),
                ]),
            };
            let header = text_map(&[
                ("SalesOrder", number.clone()),
                ("Customer", code.clone()),
                ("OrderDate", "2025-11-24".into()),
            ]);
            data.orders.insert(
                number,
                SalesOrder {
                    header,
                    lines: vec![line],
                },
            );
            data.next_order = n;
        }
        let plan = DriftPlan {
            change: 2,
            delete: 1,
            add: 1,
            fields: vec!["lines[0].Price".into()],
        };
        let actions = drift(
            &mut data,
            "salesOrders",
            &plan,
            &mut StdRng::seed_from_u64(3),
        )
        .unwrap();
        for changed in &actions[..2] {
            // As the connector reads it back: a number, to the cent.
            assert_eq!(changed.before.as_ref().unwrap().to_string(), "125.50");
            let order = &data.orders[&changed.id];
            let after = changed.after.as_ref().unwrap().to_string();
            assert_eq!(order.lines[0].fields["MiscChargeValue"], after);
            assert_ne!(after.parse::<rust_decimal::Decimal>(), "125.50".parse());
        }
        assert!(!data.orders.contains_key(&actions[2].id));
        assert_eq!(actions[3].id, "000004");
        assert!(data.orders_not_ferrys.contains("000004"));
        let again = DriftPlan { change: 3, ..plan };
        let error = drift(
            &mut data,
            "salesOrders",
            &again,
            &mut StdRng::seed_from_u64(3),
        );
        assert_eq!(
            error.unwrap_err().code(),
            crate::diagnostics::Code::DriftTooFewRecords
        );
    }
}
