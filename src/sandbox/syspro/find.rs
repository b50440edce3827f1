//! COMFND: rows of ArCustomer, SorMaster, InvMaster, ArInvoice, ArInvoicePay, ArTrnDetail,
//! GenTransaction or TblCurrency, filtered, ordered and limited.

use std::cmp::Ordering;

use indexmap::IndexMap;

// ArInvoice's and ArInvoicePay's columns are the connector's (unverified) names.
use crate::connectors::syspro::schema::CUSTOMER;
use crate::connectors::syspro::{credit_notes, invoices, items, journals, payments};
use super::data::SysproData;
use crate::connectors::syspro::xml::{Element, escape, write_element};

const SOR_MASTER: &[&str] = &[
    "SalesOrder",
    "CustomerPoNumber",
    "Customer",
    "OrderDate",
    "OrderStatus",
    "Currency",
];

/// Most rows one find returns.
const MAX_ROWS: usize = 1_000;

struct Filter {
    column: String,
    condition: String,
    value: String,
}

pub fn find(data: &SysproData, document: &Element) -> Result<String, String> {
    let table = document.text_of("TableName").unwrap_or_default();
    // Rows are borrowed, not copied: a find over thousands of customers that returns one row
    // should cost one row's copy.
    // InvMaster's rows are made from the stock items, only when asked for.
    let inventory = match table {
        "InvMaster" => super::items::inv_master(data),
        _ => Vec::new(),
    };
    let (known, rows): (Vec<&str>, Vec<&IndexMap<String, String>>) = match table {
        "InvMaster" => (items::COLUMNS.to_vec(), inventory.iter().collect()),
        "ArCustomer" => (
            CUSTOMER.iter().map(|column| column.name).collect(),
            data.customers.values().map(|c| &c.fields).collect(),
        ),
        "SorMaster" => (
            SOR_MASTER.to_vec(),
            data.orders.values().map(|o| &o.header).collect(),
        ),
        "ArInvoice" => (
            invoices::COLUMNS.to_vec(),
            data.invoices.values().map(|i| &i.fields).collect(),
        ),
        "ArInvoicePay" => (payments::COLUMNS.to_vec(), data.payments.iter().collect()),
        "ArTrnDetail" => (credit_notes::COLUMNS.to_vec(), data.credits.iter().collect()),
        journals::TABLE => (journals::COLUMNS.to_vec(), data.gl.iter().collect()),
        "TblCurrency" => (
            super::ledger::CURRENCY_COLUMNS.to_vec(),
            data.currency_table.values().collect(),
        ),
        other => return Err(format!("Table '{other}' cannot be queried with COMFND")),
    };
    let unknown = |column: &str| format!("Column '{column}' not found in table '{table}'");
    let mut columns: Vec<String> = document
        .child("Columns")
        .map(|c| c.children_named("Column").map(|c| c.text.clone()).collect())
        .unwrap_or_default();
    if columns.is_empty() {
        columns = known.iter().map(|c| c.to_string()).collect();
    }
    if let Some(column) = columns.iter().find(|c| !known.contains(&c.as_str())) {
        return Err(unknown(column));
    }
    let mut filters = Vec::new();
    for expression in document
        .child("Where")
        .map(|w| w.children_named("Expression").collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let filter = Filter {
            column: expression.text_of("Column").unwrap_or_default().to_string(),
            condition: expression
                .text_of("Condition")
                .unwrap_or("EQ")
                .to_ascii_uppercase(),
            value: expression
                .child("Value")
                .map(|v| v.text.clone())
                .unwrap_or_default(),
        };
        if !known.contains(&filter.column.as_str()) {
            return Err(unknown(&filter.column));
        }
        filters.push(filter);
    }
    let order_by = document
        .at(&["OrderBy", "Column"])
        .map(|c| c.text.as_str())
        .unwrap_or("");
    if !order_by.is_empty() && !known.contains(&order_by) {
        return Err(unknown(order_by));
    }
    let limit = match document.text_of("ReturnRows") {
        None => 100,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_ROWS).contains(n))
            .ok_or_else(|| format!("ReturnRows '{text}' must be 1 to {MAX_ROWS}"))?,
    };
    let mut selected = Vec::new();
    for row in rows {
        let mut keep = true;
        for filter in &filters {
            keep &= matches(&filter.condition, field(row, &filter.column), &filter.value)?;
        }
        if keep {
            selected.push(row);
        }
    }
    if !order_by.is_empty() {
        selected.sort_by(|a, b| field(a, order_by).cmp(field(b, order_by)));
    }
    let mut out = format!("<{}>", escape(table));
    for row in selected.into_iter().take(limit) {
        out.push_str("<Row>");
        for column in &columns {
            write_element(&mut out, column, field(row, column));
        }
        out.push_str("</Row>");
    }
    out.push_str(&format!("</{}>", escape(table)));
    Ok(out)
}

fn field<'r>(row: &'r IndexMap<String, String>, column: &str) -> &'r str {
    row.get(column).map(String::as_str).unwrap_or_default()
}

fn matches(condition: &str, value: &str, wanted: &str) -> Result<bool, String> {
    let ordering = value.cmp(wanted);
    Ok(match condition {
        "EQ" => ordering == Ordering::Equal,
        "NE" => ordering != Ordering::Equal,
        "GT" => ordering == Ordering::Greater,
        "GE" => ordering != Ordering::Less,
        "LT" => ordering == Ordering::Less,
        "LE" => ordering != Ordering::Greater,
        other => {
            return Err(format!(
                "Condition '{other}' is not EQ, NE, GT, GE, LT or LE"
            ));
        }
    })
}
