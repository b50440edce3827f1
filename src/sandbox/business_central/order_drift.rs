//! Seeded drift in Business Central's sales orders, made as a user makes it on the Sales Order
//! page: a header field or a line's field edited through the same rules as a PATCH (a line's
//! amounts and the order's totals follow its unit price), each with a new version (so a new
//! etag) and `lastModifiedDateTime`; an order deleted with its lines; an order typed in by hand.
//!
//! A line's field is named by its place among the order's lines, as a reconcile names it:
//! `salesOrderLines[0].unitPrice`.

use std::collections::HashSet;

use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::drift::typed_in;
use super::handlers::remove_with_lines;
use super::ledger::mark;
use super::rules::{self, today};
use super::schema::{CUSTOMERS, SALES_ORDER_LINES, SALES_ORDERS};
use super::store::{Company, Entity, Ids};
use super::write;
use crate::sandbox::drift::{DriftField, DriftTarget, DriftableCollection, item_field};

/// `stripe_charges_to_business_central` writes sales orders: their dates, and one line priced
/// at the charge.
pub const SALES_ORDERS_DRIFT: DriftableCollection = DriftableCollection {
    system: "business_central",
    name: "salesOrders",
    fields: &[
        DriftField::date("orderDate"),
        DriftField::date("postingDate"),
        DriftField::text("salesOrderLines[0].description"),
        DriftField::amount("salesOrderLines[0].unitPrice"),
    ],
    default_fields: &["postingDate", "salesOrderLines[0].unitPrice"],
};

/// A company's sales orders, changed as the Sales Order page changes them.
pub struct SalesOrders<'a> {
    pub company: &'a mut Company,
    pub ids: &'a mut Ids,
    pub not_ferrys: &'a mut HashSet<String>,
    pub now: String,
}

impl SalesOrders<'_> {
    /// The id of the order's line at `index`, in line number order.
    fn line_id(&self, order: &str, index: usize) -> Option<String> {
        let mut lines: Vec<&Entity> = self
            .company
            .entities(&SALES_ORDER_LINES)
            .filter(|line| line.text("documentId").eq_ignore_ascii_case(order))
            .collect();
        lines.sort_by_key(|line| line.fields.get("lineNumber").and_then(Value::as_i64));
        lines.get(index).map(|line| line.id().to_string())
    }

    /// Writes `name` of entity `id` of `set` as a PATCH would; false if the rules refuse it.
    fn patch(
        &mut self,
        set: &'static super::schema::EntitySet,
        id: &str,
        name: &str,
        value: Value,
    ) -> bool {
        let Some(entity) = self.company.find(set, id) else {
            return false;
        };
        let mut fields = entity.fields.clone();
        let body = Map::from_iter([(name.to_string(), value)]);
        let Ok(changes) = write::apply_body(set, &body, &mut fields, false) else {
            return false;
        };
        if rules::resolve(self.company, set, &mut fields, &changes.keys, false).is_err() {
            return false;
        }
        if let Some(entity) = self.company.find_mut(set, id) {
            entity.fields = fields;
            mark(entity, self.ids, &self.now);
        }
        true
    }
}

impl DriftTarget for SalesOrders<'_> {
    fn ferrys(&self) -> Vec<String> {
        let ids = self
            .company
            .entities(&SALES_ORDERS)
            .map(|e| e.id().to_string());
        ids.filter(|id| !self.not_ferrys.contains(id)).collect()
    }

    fn field(&self, id: &str, field: &str) -> Value {
        let (set, id, name) = match item_field(field, "salesOrderLines") {
            Some((index, name)) => match self.line_id(id, index) {
                Some(line) => (&SALES_ORDER_LINES, line, name),
                None => return Value::Null,
            },
            None => (&SALES_ORDERS, id.to_string(), field),
        };
        let entity = self.company.find(set, &id);
        entity
            .and_then(|e| e.fields.get(name).cloned())
            .unwrap_or(Value::Null)
    }

    fn set_field(&mut self, id: &str, field: &str, value: Value) -> bool {
        let Some((index, name)) = item_field(field, "salesOrderLines") else {
            return self.patch(&SALES_ORDERS, id, field, value);
        };
        let Some(line) = self.line_id(id, index) else {
            return false;
        };
        if !self.patch(&SALES_ORDER_LINES, &line, name, value) {
            return false;
        }
        if rules::document_totals(self.company, &SALES_ORDERS, id)
            && let Some(order) = self.company.find_mut(&SALES_ORDERS, id)
        {
            mark(order, self.ids, &self.now);
        }
        true
    }

    fn delete(&mut self, id: &str) -> Option<Value> {
        let order = self.company.find(&SALES_ORDERS, id)?;
        let before = Value::Object(order.fields.clone());
        remove_with_lines(self.company, &SALES_ORDERS, id);
        Some(before)
    }

    /// An order typed in by hand for the company's first customer, numbered from the sales
    /// orders' series, with no lines yet.
    fn add(&mut self, token: &str, _rng: &mut StdRng) -> Option<(String, Value)> {
        let customer = self.company.entities(&CUSTOMERS).next()?;
        let (customer_id, number, name) = (
            customer.id().to_string(),
            customer.text("number").to_string(),
            customer.text("displayName").to_string(),
        );
        let fields = [
            ("externalDocumentNumber", json!(format!("WALK-IN-{token}"))),
            ("orderDate", json!(today())),
            ("postingDate", json!(today())),
            ("customerId", json!(customer_id)),
            ("customerNumber", json!(number)),
            ("customerName", json!(name)),
            ("status", json!("Draft")),
        ];
        Some(typed_in(
            self.company,
            self.ids,
            self.not_ferrys,
            &SALES_ORDERS,
            &self.now,
            &fields,
        ))
    }
}
