//! SORTOI (sales order import) and SORQRY (sales order query).
//!
//! An order is imported whole or not at all: every problem is reported in an
//! `<ErrorDescription>` next to the element at fault, naming the field, and nothing is kept.

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::data::{OrderLine, SalesOrder, SysproData};
use crate::connectors::build::Prop;
use crate::connectors::syspro::schema::SALES_ORDER;
use crate::connectors::syspro::xml::{Element, escape, write_element};

/// Header elements an order keeps (besides `SalesOrder` and `OrderStatus`), with their
/// longest values: the connector's sales order schema, which a pipeline is linted against.
fn header_elements() -> impl Iterator<Item = &'static Prop> {
    SALES_ORDER.iter().filter(|prop| prop.name != "lines")
}

/// Elements each kind of line takes.
const LINES: &[(&str, &[&str])] = &[
    (
        "StockLine",
        &[
            "CustomerPoLine",
            "LineActionType",
            "StockCode",
            "StockDescription",
            "Warehouse",
            "OrderQty",
            "OrderUom",
            "Price",
            "PriceUom",
            "LineDiscPercent1",
            "NonStockedLine",
        ],
    ),
    (
        "MiscChargeLine",
        &[
            "CustomerPoLine",
            "LineActionType",
            "MiscDescription",
            "MiscQuantity",
            "MiscChargeValue",
        ],
    ),
    (
        "FreightLine",
        &["CustomerPoLine", "LineActionType", "FreightValue"],
    ),
    (
        "CommentLine",
        &["CustomerPoLine", "LineActionType", "Comment"],
    ),
];

/// Problems found in one element: its name, its `CustomerPoLine`, and the messages.
struct Problems {
    header: Vec<String>,
    lines: Vec<(String, String, Vec<String>)>,
}

impl Problems {
    fn is_empty(&self) -> bool {
        self.header.is_empty() && self.lines.iter().all(|(_, _, m)| m.is_empty())
    }
}

/// Imports every order of a SORTOI document; the XmlOut.
pub fn import(data: &mut SysproData, document: &Element) -> String {
    let mut out = String::from("<SalesOrders>");
    let (mut processed, mut invalid) = (0, 0);
    let orders = document.child("Orders");
    let headers = orders.map(|o| o.children.as_slice()).unwrap_or_default();
    for (index, header) in headers.iter().enumerate() {
        if header.name != "OrderHeader" {
            continue;
        }
        let details = headers.get(index + 1).filter(|d| d.name == "OrderDetails");
        let action = header.text_of("OrderActionType").unwrap_or("A");
        let (number, problems) = match action {
            "A" => add(data, header, details),
            "C" => change(data, header),
            other => (
                None,
                Problems {
                    header: vec![format!(
                        "OrderActionType '{other}' is not A (add) or C (change)"
                    )],
                    lines: Vec::new(),
                },
            ),
        };
        out.push_str("<Order>");
        for name in ["CustomerPoNumber", "Customer"] {
            write_element(&mut out, name, header.text_of(name).unwrap_or_default());
        }
        write_element(&mut out, "OrderActionType", action);
        if let Some(number) = &number {
            write_element(&mut out, "SalesOrder", number);
            processed += 1;
        } else {
            invalid += 1;
        }
        for message in &problems.header {
            write_element(&mut out, "ErrorDescription", message);
        }
        for (element, line, messages) in problems.lines.iter().filter(|l| !l.2.is_empty()) {
            out.push_str(&format!("<{element}>"));
            write_element(&mut out, "CustomerPoLine", line);
            for message in messages {
                write_element(&mut out, "ErrorDescription", message);
            }
            out.push_str(&format!("</{element}>"));
        }
        out.push_str("</Order>");
    }
    if processed + invalid == 0 {
        write_element(
            &mut out,
            "ErrorDescription",
            "Orders: the document holds no OrderHeader",
        );
    }
    out.push_str(&format!(
        "<StatusOfItems><ItemsProcessed>{processed}</ItemsProcessed><ItemsInvalid>{invalid}</ItemsInvalid></StatusOfItems></SalesOrders>"
    ));
    out
}

fn add(
    data: &mut SysproData,
    header: &Element,
    details: Option<&Element>,
) -> (Option<String>, Problems) {
    let mut problems = Problems {
        header: check_header(data, header),
        lines: Vec::new(),
    };
    let po = header.text_of("CustomerPoNumber").unwrap_or_default();
    let customer = header.text_of("Customer").unwrap_or_default();
    if po.is_empty() {
        problems.header.push("CustomerPoNumber is required".into());
    } else if let Some(existing) = data
        .orders
        .values()
        .find(|o| o.get("CustomerPoNumber") == po && o.get("Customer") == customer)
    {
        problems.header.push(format!(
            "CustomerPoNumber '{po}' already exists on sales order {} for customer '{customer}'",
            existing.get("SalesOrder")
        ));
    }
    let mut lines = Vec::new();
    let given = details.map(|d| d.children.as_slice()).unwrap_or_default();
    if given.is_empty() {
        problems
            .header
            .push("OrderDetails: an order needs at least one line".into());
    }
    for (index, line) in given.iter().enumerate() {
        let (kept, messages) = check_line(data, line, index + 1);
        let number = kept
            .fields
            .get("CustomerPoLine")
            .cloned()
            .unwrap_or_default();
        problems.lines.push((line.name.clone(), number, messages));
        lines.push(kept);
    }
    if !problems.is_empty() {
        return (None, problems);
    }
    data.next_order += 1;
    let number = format!("{:06}", data.next_order);
    let mut kept = IndexMap::new();
    kept.insert("SalesOrder".to_string(), number.clone());
    kept.insert("OrderStatus".to_string(), "1".to_string());
    for name in header_elements().map(|prop| prop.name) {
        if let Some(value) = header.text_of(name) {
            kept.insert(name.to_string(), value.to_string());
        }
    }
    data.orders.insert(
        number.clone(),
        SalesOrder {
            header: kept,
            lines,
        },
    );
    if data.invoice_on_import {
        // The order was just kept, so it can be invoiced.
        let _ = super::invoices::invoice_order(data, &number);
    }
    (Some(number), problems)
}

/// Changes the header of an existing order (`OrderActionType` C).
fn change(data: &mut SysproData, header: &Element) -> (Option<String>, Problems) {
    let number = header.text_of("SalesOrder").unwrap_or_default().to_string();
    let mut messages = Vec::new();
    match data.orders.get(&number) {
        None => messages.push(format!("SalesOrder '{number}' not found")),
        Some(order) => {
            if let Some(customer) = header.text_of("Customer")
                && customer != order.get("Customer")
            {
                messages.push(format!(
                    "Customer cannot be changed on sales order {number}"
                ));
            }
            messages.extend(
                check_header(data, header)
                    .into_iter()
                    .filter(|m| !m.starts_with("Customer '")),
            );
        }
    }
    if !messages.is_empty() {
        return (
            None,
            Problems {
                header: messages,
                lines: Vec::new(),
            },
        );
    }
    if let Some(order) = data.orders.get_mut(&number) {
        for name in header_elements().map(|prop| prop.name) {
            if name == "Customer" {
                continue;
            }
            if let Some(value) = header.text_of(name) {
                order.header.insert(name.to_string(), value.to_string());
            }
        }
    }
    (
        Some(number),
        Problems {
            header: Vec::new(),
            lines: Vec::new(),
        },
    )
}

/// Header rules shared by add and change.
fn check_header(data: &SysproData, header: &Element) -> Vec<String> {
    let mut messages = Vec::new();
    for child in &header.children {
        let element = header_elements().find(|prop| prop.name == child.name);
        let known =
            element.is_some() || ["OrderActionType", "SalesOrder"].contains(&child.name.as_str());
        if !known {
            messages.push(format!("{} is not an OrderHeader element", child.name));
        }
        if let Some(longest) = element.and_then(|prop| prop.max_length)
            && child.text.chars().count() > longest
        {
            messages.push(format!(
                "{} is longer than {longest} characters",
                child.name
            ));
        }
    }
    let text = |name| header.text_of(name).unwrap_or_default();
    let customer = data.customers.get(text("Customer"));
    if customer.is_none() && header.text_of("OrderActionType") != Some("C") {
        messages.push(format!("Customer '{}' not on file", text("Customer")));
    }
    for name in ["OrderDate", "RequestedShipDate"] {
        if let Some(date) = header.text_of(name)
            && date.parse::<jiff::civil::Date>().is_err()
        {
            messages.push(format!("{name} '{date}' is not a valid date (YYYY-MM-DD)"));
        }
    }
    if let (Some(currency), Some(customer)) = (header.text_of("Currency"), customer)
        && !currency.eq_ignore_ascii_case(customer.get("Currency"))
    {
        messages.push(format!(
            "Currency '{currency}' does not match the currency '{}' of customer '{}'",
            customer.get("Currency"),
            text("Customer")
        ));
    }
    if let Some(warehouse) = header.text_of("Warehouse")
        && !data.warehouses.contains(warehouse)
    {
        messages.push(format!("Warehouse '{warehouse}' not on file"));
    }
    messages
}

/// Checks one line; the line as it would be kept, and its problems.
fn check_line(data: &SysproData, line: &Element, position: usize) -> (OrderLine, Vec<String>) {
    let mut messages = Vec::new();
    let mut fields = IndexMap::new();
    let Some((_, allowed)) = LINES.iter().find(|(name, _)| *name == line.name) else {
        messages.push(format!("{} is not an OrderDetails line element", line.name));
        return (
            OrderLine {
                element: line.name.clone(),
                fields,
            },
            messages,
        );
    };
    for child in &line.children {
        if !allowed.contains(&child.name.as_str()) {
            messages.push(format!("{} is not a {} element", child.name, line.name));
        } else if !child.text.is_empty() {
            fields.insert(child.name.clone(), child.text.clone());
        }
    }
    fields
        .entry("CustomerPoLine".to_string())
        .or_insert_with(|| position.to_string());
    let text = |name: &str| fields.get(name).map(String::as_str);
    match line.name.as_str() {
        "StockLine" => {
            let non_stocked = text("NonStockedLine") == Some("Y");
            match text("StockCode") {
                None => messages.push("StockCode is required on a stock line".into()),
                Some(code) if !non_stocked && !data.stock.contains_key(code) => {
                    messages.push(format!("StockCode '{code}' not on file"))
                }
                Some(_) => {}
            }
            if let Some(warehouse) = text("Warehouse")
                && !data.warehouses.contains(warehouse)
            {
                messages.push(format!("Warehouse '{warehouse}' not on file"));
            }
            check_amount(&mut messages, "OrderQty", text("OrderQty"), 6, true, true);
            check_amount(&mut messages, "Price", text("Price"), 5, false, true);
            if let Some(discount) = text("LineDiscPercent1") {
                check_amount(
                    &mut messages,
                    "LineDiscPercent1",
                    Some(discount),
                    2,
                    false,
                    false,
                );
                if discount
                    .parse::<Decimal>()
                    .is_ok_and(|d| d > Decimal::ONE_HUNDRED)
                {
                    messages.push(format!("LineDiscPercent1 '{discount}' is more than 100"));
                }
            }
        }
        "MiscChargeLine" => {
            check_amount(
                &mut messages,
                "MiscChargeValue",
                text("MiscChargeValue"),
                2,
                true,
                true,
            );
            check_amount(
                &mut messages,
                "MiscQuantity",
                text("MiscQuantity"),
                6,
                false,
                true,
            );
            if text("MiscDescription").is_some_and(|d| d.chars().count() > 50) {
                messages.push("MiscDescription is longer than 50 characters".into());
            }
        }
        "FreightLine" => check_amount(
            &mut messages,
            "FreightValue",
            text("FreightValue"),
            2,
            true,
            false,
        ),
        _ => {
            if text("Comment").is_none() {
                messages.push("Comment is required on a comment line".into());
            }
        }
    }
    (
        OrderLine {
            element: line.name.clone(),
            fields,
        },
        messages,
    )
}

/// A decimal with at most `places` decimals; `required` when it must be given, `positive` when
/// it must be above zero (else zero or more).
fn check_amount(
    messages: &mut Vec<String>,
    name: &str,
    value: Option<&str>,
    places: u32,
    required: bool,
    positive: bool,
) {
    let Some(value) = value else {
        if required {
            messages.push(format!("{name} is required"));
        }
        return;
    };
    match value.parse::<Decimal>() {
        Err(_) => messages.push(format!("{name} '{value}' is not a number")),
        Ok(amount) if amount.scale() > places => {
            messages.push(format!("{name} '{value}' has more than {places} decimals"))
        }
        Ok(amount) if positive && amount <= Decimal::ZERO => {
            messages.push(format!("{name} '{value}' must be greater than zero"))
        }
        Ok(amount) if amount < Decimal::ZERO => {
            messages.push(format!("{name} '{value}' must not be negative"))
        }
        Ok(_) => {}
    }
}

/// SORQRY: one order by `Key/SalesOrder`, header and lines.
pub fn query(data: &SysproData, document: &Element) -> Result<String, String> {
    let number = document
        .at(&["Key", "SalesOrder"])
        .map(|e| e.text.as_str())
        .unwrap_or_default();
    let order = data
        .orders
        .get(number)
        .ok_or_else(|| format!("Sales order '{number}' not found"))?;
    let mut out = String::from("<SalesOrderQuery><SalesOrderHeader>");
    for (name, value) in &order.header {
        write_element(&mut out, name, value);
    }
    out.push_str("</SalesOrderHeader><SalesOrderDetails>");
    for line in &order.lines {
        out.push_str(&format!("<{}>", escape(&line.element)));
        for (name, value) in &line.fields {
            write_element(&mut out, name, value);
        }
        out.push_str(&format!("</{}>", escape(&line.element)));
    }
    out.push_str("</SalesOrderDetails></SalesOrderQuery>");
    Ok(out)
}
