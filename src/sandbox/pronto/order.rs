//! A sales order as order/v4 shows it.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::records::{Address, Listed, Stamps};
use super::wire::{Fields, Quantity, money};

/// Where the seeded order numbers start (one real tenant's were around 177023).
pub const FIRST_ORDER_NUMBER: u64 = 177_000;

/// The status of a new order.
pub const PROCESSING: &str = "30";

/// What Pronto calls a status code.
pub fn status_desc(code: &str) -> &'static str {
    match code {
        "30" => "Processing",
        "40" => "PSlip Prt'd",
        "80" => "Shipped",
        "90" => "Complete",
        _ => "",
    }
}

/// `"SN"` a stock line, `"DN"` a note line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub kind: String,
    pub stock_code: String,
    pub description: String,
    pub ordered_qty: Quantity,
    pub backordered_qty: Quantity,
    pub shipped_qty: Quantity,
    pub uom: String,
    /// Per unit, as sent: the two are never derived from each other once stored.
    pub price_ex_tax: Decimal,
    pub price_inc_tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub number: u64,
    pub suffix: String,
    /// The buyer's purchase-order number.
    pub customer_reference: String,
    pub debtor: String,
    pub status_code: String,
    pub carrier_code: String,
    /// The tracking number, once shipped (80 or 90).
    pub consignment_note: String,
    pub currency_code: String,
    pub delivery_address: Address,
    pub delivery_phone: String,
    pub delivery_instructions: [String; 7],
    pub payment_method: String,
    pub payment_reference: String,
    pub payment_amount: Option<Decimal>,
    pub lines: Vec<OrderLine>,
    pub stamps: Stamps,
}

impl Listed for Order {
    fn stamps(&self) -> Stamps {
        self.stamps
    }

    fn shown(&self) -> Value {
        let mut address = self.delivery_address.shown();
        address.insert("phone".into(), self.delivery_phone.clone().into());
        let mut instructions = serde_json::Map::new();
        for (i, text) in self.delivery_instructions.iter().enumerate() {
            instructions.insert(format!("del_inst_{}", i + 1), text.clone().into());
        }
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                json!({
                    "type": line.kind,
                    "stock_code": line.stock_code,
                    "description": line.description,
                    "ordered_qty": line.ordered_qty.shown(),
                    "backordered_qty": line.backordered_qty.shown(),
                    "shipped_qty": line.shipped_qty.shown(),
                    "uom": line.uom,
                    "price_ex_tax": money(line.price_ex_tax),
                    "price_inc_tax": money(line.price_inc_tax),
                })
            })
            .collect();
        let mut record = json!({
            "pronto_order_number": self.number.to_string(),
            "suffix": self.suffix,
            "customer_reference": self.customer_reference,
            "debtor": self.debtor,
            "status_code": self.status_code,
            "status_desc": status_desc(&self.status_code),
            "carrier_code": self.carrier_code,
            "consignment_note": self.consignment_note,
            "currency_code": self.currency_code,
            "delivery_address": address,
            "delivery_instructions": instructions,
            "payment_method": self.payment_method,
            "payment_reference": self.payment_reference,
            "payment_amount": self.payment_amount.map(money).unwrap_or_default(),
        });
        self.stamps.show_in(&mut record);
        if let Value::Object(object) = &mut record {
            object.insert("lines".into(), lines.into());
        }
        record
    }
}

impl Order {
    /// An order from the shape order/v4 shows; `next_number` when it has no number yet.
    pub fn read(value: &Value, next_number: u64, stamps: Stamps) -> Result<Self, String> {
        let fields = Fields::of("order", value)?;
        let number = match fields.text("pronto_order_number")?.as_str() {
            "" => next_number,
            text => text
                .parse()
                .map_err(|_| format!("order.pronto_order_number '{text}' is not digits"))?,
        };
        let address = fields.object("delivery_address")?;
        let mut delivery_instructions: [String; 7] = Default::default();
        if let Some(given) = fields.object("delivery_instructions")? {
            for (i, text) in delivery_instructions.iter_mut().enumerate() {
                *text = given.text(&format!("del_inst_{}", i + 1))?;
            }
        }
        let mut lines = Vec::new();
        for (i, item) in fields.list("lines")?.iter().enumerate() {
            let line = Fields::of(&format!("order.lines[{i}]"), item)?;
            let zero = Quantity::text(Decimal::ZERO);
            let quantity = |key: &str| match line.get(key) {
                None => Ok(zero),
                Some(_) => line.quantity(key),
            };
            lines.push(OrderLine {
                kind: match line.text("type")?.as_str() {
                    "" => "SN".to_string(),
                    kind => kind.to_string(),
                },
                stock_code: line.text("stock_code")?,
                description: line.text("description")?,
                ordered_qty: quantity("ordered_qty")?,
                backordered_qty: quantity("backordered_qty")?,
                shipped_qty: quantity("shipped_qty")?,
                uom: line.text("uom")?,
                price_ex_tax: line.optional_decimal("price_ex_tax")?.unwrap_or_default(),
                price_inc_tax: line.optional_decimal("price_inc_tax")?.unwrap_or_default(),
            });
        }
        let status_code = match fields.text("status_code")?.as_str() {
            "" => PROCESSING.to_string(),
            code => code.to_string(),
        };
        Ok(Order {
            number,
            suffix: fields.text("suffix")?,
            customer_reference: fields.text("customer_reference")?,
            debtor: fields.text("debtor")?,
            status_code,
            carrier_code: fields.text("carrier_code")?,
            consignment_note: fields.text("consignment_note")?,
            currency_code: match fields.text("currency_code")?.as_str() {
                "" => "AUD".to_string(),
                code => code.to_string(),
            },
            delivery_address: Address::read(address.as_ref())?,
            delivery_phone: match &address {
                Some(address) => address.text("phone")?,
                None => String::new(),
            },
            delivery_instructions,
            payment_method: fields.text("payment_method")?,
            payment_reference: fields.text("payment_reference")?,
            payment_amount: fields.optional_decimal("payment_amount")?,
            lines,
            stamps,
        })
    }
}
