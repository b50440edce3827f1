//! Seeded drift in Pronto's sales orders, made as an operator makes it in Sales Order Entry: a
//! line's price or the payment's amount edited, the customer reference retyped, an order
//! deleted before it is picked, an order typed in by hand. The orders ferry made are those an
//! order/v6 transaction created; seeded orders never drift.

use jiff::Timestamp;
use rand::Rng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use serde_json::Value;

use super::ProntoState;
use super::data::ProntoData;
use super::order::{Order, PROCESSING};
use super::order_request::{OrderRequest, RequestLine};
use super::records::{Address, Listed};
use super::transactions::{order_of, settle_due};
use super::wire::Quantity;
use crate::sandbox::drift::{
    DriftField, DriftPlan, DriftTarget, DriftableCollection, Drifted, apply, driftable,
};

/// `stripe_invoices_to_pronto` creates orders with their lines and payment; a reconcile names
/// their fields as the connector shows a target order (`payment.amount`, `lines[0].…`).
const COLLECTIONS: &[DriftableCollection] = &[DriftableCollection {
    system: "pronto",
    name: "orders",
    fields: &[
        DriftField::amount("lines[0].price_inc_tax"),
        DriftField::amount("payment.amount"),
        DriftField::text("customer_reference"),
    ],
    default_fields: &["lines[0].price_inc_tax", "payment.amount"],
}];

impl ProntoState {
    pub(super) fn drift_orders(
        &self,
        collection: &str,
        plan: &DriftPlan,
        rng: &mut StdRng,
    ) -> Drifted {
        let drifting = driftable(COLLECTIONS, "pronto", collection)?;
        let now = self.now();
        let mut data = self.data();
        settle_due(&mut data, now);
        apply(drifting, &mut Orders { data: &mut data, now }, plan, rng)
    }
}

struct Orders<'a> {
    data: &'a mut ProntoData,
    now: Timestamp,
}

impl Orders<'_> {
    fn edit(&mut self, id: &str, change: impl FnOnce(&mut Order) -> bool) -> bool {
        let now = self.now;
        let Some(order) = number(id).and_then(|n| self.data.orders.get_mut(&n)) else {
            return false;
        };
        let changed = change(order);
        if changed {
            order.stamps.updated_at = now;
        }
        changed
    }
}

fn number(id: &str) -> Option<u64> {
    id.parse().ok()
}

fn amount(value: &Value) -> Option<Decimal> {
    value.to_string().trim_matches('"').parse().ok()
}

fn as_number(amount: Decimal) -> Value {
    serde_json::from_str(&amount.normalize().to_string()).unwrap_or(Value::Null)
}

impl DriftTarget for Orders<'_> {
    fn ferrys(&self) -> Vec<String> {
        let made = self.data.transactions.iter().filter_map(|t| t.order_number);
        made.filter(|n| self.data.orders.contains_key(n))
            .map(|n| n.to_string())
            .collect()
    }

    fn field(&self, id: &str, field: &str) -> Value {
        let Some(order) = number(id).and_then(|n| self.data.orders.get(&n)) else {
            return Value::Null;
        };
        match field {
            "lines[0].price_inc_tax" => order
                .lines
                .first()
                .map_or(Value::Null, |line| as_number(line.price_inc_tax)),
            "payment.amount" => order.payment_amount.map_or(Value::Null, as_number),
            "customer_reference" => Value::String(order.customer_reference.clone()),
            _ => Value::Null,
        }
    }

    fn set_field(&mut self, id: &str, field: &str, value: Value) -> bool {
        match field {
            "lines[0].price_inc_tax" => {
                let Some(price) = amount(&value) else { return false };
                self.edit(id, |order| match order.lines.first_mut() {
                    Some(line) => {
                        line.price_inc_tax = price;
                        true
                    }
                    None => false,
                })
            }
            "payment.amount" => {
                let Some(paid) = amount(&value) else { return false };
                self.edit(id, |order| {
                    order.payment_amount = Some(paid);
                    true
                })
            }
            "customer_reference" => self.edit(id, |order| {
                order.customer_reference = value.as_str().unwrap_or_default().to_string();
                true
            }),
            _ => false,
        }
    }

    /// Sales Order Entry deletes an order only before it is picked.
    fn deletable(&self, id: &str) -> Result<(), &'static str> {
        match number(id).and_then(|n| self.data.orders.get(&n)) {
            Some(order) if order.status_code != PROCESSING => {
                Err("Pronto deletes no order once its picking slip is printed")
            }
            _ => Ok(()),
        }
    }

    fn delete(&mut self, id: &str) -> Option<Value> {
        let order = self.data.orders.remove(&number(id)?)?;
        Some(order.shown())
    }

    /// An order typed in by hand for the first debtor, of one line of the first product, by
    /// Pronto's own rules (as an order/v6 request would be checked), with no payment.
    fn add(&mut self, token: &str, rng: &mut StdRng) -> Option<(String, Value)> {
        let debtor = self.data.debtors.keys().next()?.clone();
        let product = self.data.products.keys().next()?.clone();
        let request = OrderRequest {
            customer_reference: format!("PHONE-{token}"),
            debtor,
            delivery_address: Address::default(),
            delivery_phone: String::new(),
            delivery_instructions: Default::default(),
            payment: None,
            lines: vec![RequestLine {
                kind: "SN".into(),
                item_code: product,
                description: String::new(),
                quantity: Quantity::text(Decimal::from(rng.random_range(1..5))),
                uom: String::new(),
                price_ex_tax: None,
                price_inc_tax: Decimal::new(rng.random_range(100..10_000), 2),
            }],
        };
        let order = order_of(self.data, &request, self.now).ok()?;
        let number = order.number;
        let shown = order.shown();
        self.data.orders.insert(number, order);
        Some((number.to_string(), shown))
    }
}
