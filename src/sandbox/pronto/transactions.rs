//! Order creation is asynchronous: order/v6 answers with a Pending transaction, which becomes
//! Complete (with the order) or Error (with the reasons, and no order) `transaction_delay`
//! later. Nothing runs in the background: due transactions are settled on the next request.

use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::data::ProntoData;
use super::order::{Order, OrderLine, PROCESSING};
use super::order_request::OrderRequest;
use super::records::Stamps;
use super::wire::{Quantity, rounded};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Complete,
    Error,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Pending => "Pending",
            Status::Complete => "Complete",
            Status::Error => "Error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub uuid: String,
    /// When it is settled.
    pub due: Timestamp,
    pub request: OrderRequest,
    pub status: Status,
    pub errors: Vec<String>,
    pub order_number: Option<u64>,
}

impl Transaction {
    pub fn new(uuid: String, due: Timestamp, request: OrderRequest) -> Self {
        Transaction {
            uuid,
            due,
            request,
            status: Status::Pending,
            errors: Vec::new(),
            order_number: None,
        }
    }

    /// `{"apitransactions":[{uuid,status,errors,warnings,result_url}]}`
    pub fn shown(&self) -> Value {
        let result_url = self
            .order_number
            .map(|n| format!("/api/json/order/v4?number={n}"));
        json!({"apitransactions": [{
            "uuid": self.uuid,
            "status": self.status.name(),
            "errors": self.errors,
            "warnings": [],
            "result_url": result_url,
        }]})
    }
}

/// Settles every pending transaction due by `now`, in the order they were posted (so a later
/// one sees the orders of the earlier ones).
pub fn settle_due(data: &mut ProntoData, now: Timestamp) {
    for i in 0..data.transactions.len() {
        let transaction = &data.transactions[i];
        if transaction.status != Status::Pending || transaction.due > now {
            continue;
        }
        let due = transaction.due;
        match order_of(data, &data.transactions[i].request, due) {
            Ok(order) => {
                let number = order.number;
                data.orders.insert(number, order);
                let transaction = &mut data.transactions[i];
                transaction.status = Status::Complete;
                transaction.order_number = Some(number);
            }
            Err(errors) => {
                let transaction = &mut data.transactions[i];
                transaction.status = Status::Error;
                transaction.errors = errors;
            }
        }
    }
}

/// The order a request makes, or every business rule it breaks.
pub(super) fn order_of(data: &ProntoData, request: &OrderRequest, at: Timestamp) -> Result<Order, Vec<String>> {
    let mut errors = Vec::new();
    if !data.debtors.contains_key(&request.debtor) {
        errors.push(format!("Debtor '{}' does not exist", request.debtor));
    }
    let mut lines = Vec::new();
    for line in &request.lines {
        if line.kind == "DN" {
            lines.push(note_line(&line.description));
            continue;
        }
        let Some(product) = data.products.get(&line.item_code) else {
            errors.push(format!("Item code '{}' is not a product", line.item_code));
            continue;
        };
        let ex_tax = line
            .price_ex_tax
            .unwrap_or_else(|| rounded(line.price_inc_tax / Decimal::new(11, 1), 2));
        lines.push(OrderLine {
            kind: "SN".into(),
            stock_code: product.code.clone(),
            description: product.description.clone(),
            ordered_qty: line.quantity,
            backordered_qty: Quantity::text(Decimal::ZERO),
            shipped_qty: Quantity::text(Decimal::ZERO),
            uom: if line.uom.is_empty() { product.uom.clone() } else { line.uom.clone() },
            price_ex_tax: ex_tax,
            price_inc_tax: line.price_inc_tax,
        });
    }
    if let Some(payment) = &request.payment {
        if payment.currency_code != "AUD" {
            errors.push(format!(
                "Payment currency '{}' is not AUD",
                payment.currency_code
            ));
        }
        let total: Decimal = request
            .lines
            .iter()
            .filter(|l| l.kind == "SN")
            .map(|l| l.quantity.value * l.price_inc_tax)
            .sum();
        let (amount, total) = (rounded(payment.amount, 2), rounded(total, 2));
        if amount != total {
            errors.push(format!(
                "Payment amount {amount:.2} does not equal the order total {total:.2}"
            ));
        }
    }
    if !request.customer_reference.is_empty()
        && let Some(used) = data.orders.values().find(|o| {
            o.debtor == request.debtor && o.customer_reference == request.customer_reference
        })
    {
        errors.push(format!(
            "Customer reference {} already used by order {}",
            request.customer_reference, used.number
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let payment = request.payment.as_ref();
    Ok(Order {
        number: data.next_order_number(),
        suffix: String::new(),
        customer_reference: request.customer_reference.clone(),
        debtor: request.debtor.clone(),
        status_code: PROCESSING.into(),
        carrier_code: String::new(),
        consignment_note: String::new(),
        currency_code: "AUD".into(),
        delivery_address: request.delivery_address.clone(),
        delivery_phone: request.delivery_phone.clone(),
        delivery_instructions: request.delivery_instructions.clone(),
        payment_method: payment.map(|p| p.method.clone()).unwrap_or_default(),
        payment_reference: payment.map(|p| p.reference.clone()).unwrap_or_default(),
        payment_amount: payment.map(|p| p.amount),
        lines,
        stamps: Stamps::at(at),
    })
}

pub fn note_line(text: &str) -> OrderLine {
    OrderLine {
        kind: "DN".into(),
        stock_code: String::new(),
        description: text.to_string(),
        ordered_qty: Quantity::text(Decimal::ZERO),
        backordered_qty: Quantity::text(Decimal::ZERO),
        shipped_qty: Quantity::text(Decimal::ZERO),
        uom: String::new(),
        price_ex_tax: Decimal::ZERO,
        price_inc_tax: Decimal::ZERO,
    }
}
