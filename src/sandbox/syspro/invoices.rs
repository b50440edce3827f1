//! How a sales order becomes an AR invoice, and the customer balances invoices move.
//!
//! Syspro invoices an order when it is dispatched (Sales Order Invoicing, a program the site
//! runs, not a business object ferry calls). The sandbox stands in for that run: with
//! `invoice_on_import` an order is invoiced as it is imported (what a web shop's paid order
//! becomes), else when a test calls [`SysproState::invoice_order`](super::SysproState).

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::data::{ArInvoice, SalesOrder, SysproData};

/// The order's value: its stock lines (quantity x price, less the line discount), misc
/// charges and freight, to the cent.
pub fn order_value(order: &SalesOrder) -> Decimal {
    let amount = |fields: &IndexMap<String, String>, name: &str, default: Decimal| {
        fields
            .get(name)
            .and_then(|v| v.parse::<Decimal>().ok())
            .unwrap_or(default)
    };
    let mut total = Decimal::ZERO;
    for line in &order.lines {
        let f = &line.fields;
        total += match line.element.as_str() {
            "StockLine" => {
                let gross = amount(f, "OrderQty", Decimal::ZERO) * amount(f, "Price", Decimal::ZERO);
                let discount = amount(f, "LineDiscPercent1", Decimal::ZERO);
                gross * (Decimal::ONE_HUNDRED - discount) / Decimal::ONE_HUNDRED
            }
            "MiscChargeLine" => {
                amount(f, "MiscQuantity", Decimal::ONE) * amount(f, "MiscChargeValue", Decimal::ZERO)
            }
            "FreightLine" => amount(f, "FreightValue", Decimal::ZERO),
            _ => Decimal::ZERO,
        };
    }
    total.round_dp(2)
}

/// Invoices sales order `number` in full; the invoice number.
pub fn invoice_order(data: &mut SysproData, number: &str) -> Result<String, String> {
    let order = data
        .orders
        .get(number)
        .ok_or_else(|| format!("Sales order '{number}' not found"))?;
    if order.get("OrderStatus") == "9" {
        return Err(format!("Sales order '{number}' is complete and already invoiced"));
    }
    let value = order_value(order);
    let customer = order.get("Customer").to_string();
    let date = match order.get("OrderDate") {
        "" => jiff::Zoned::now().date().to_string(),
        date => date.to_string(),
    };
    let currency = match order.get("Currency") {
        "" => super::ledger::currency_of(data, &customer),
        currency => currency.to_string(),
    };
    let local = super::ledger::to_local(data, &currency, value)?;
    data.next_invoice += 1;
    let invoice = format!("{:06}", data.next_invoice);
    let mut fields = IndexMap::new();
    for (name, value) in [
        ("Invoice", invoice.clone()),
        ("DocumentType", "I".into()),
        ("Customer", customer.clone()),
        ("SalesOrder", number.to_string()),
        ("InvoiceDate", date.clone()),
        ("Currency", currency),
        ("InvoiceValue", value.to_string()),
        ("InvoiceBal1", value.to_string()),
    ] {
        fields.insert(name.to_string(), value);
    }
    data.invoices.insert(invoice.clone(), ArInvoice { fields });
    if let Some(order) = data.orders.get_mut(number) {
        order.header.insert("OrderStatus".into(), "9".into());
    }
    adjust_balance(data, &customer, value);
    // Receivables debited, sales credited, in the local currency.
    super::ledger::post(
        data,
        &invoice,
        &date,
        &format!("AR invoice {invoice} of sales order {number}"),
        &[(super::ledger::RECEIVABLES, local), (super::ledger::SALES, -local)],
    );
    Ok(invoice)
}

/// Moves customer `code`'s current balance by `delta`.
pub fn adjust_balance(data: &mut SysproData, code: &str, delta: Decimal) {
    if let Some(customer) = data.customers.get_mut(code) {
        let balance = customer.get("CurrentBalance").parse::<Decimal>().unwrap_or_default() + delta;
        customer
            .fields
            .insert("CurrentBalance".into(), balance.round_dp(2).to_string());
    }
}
