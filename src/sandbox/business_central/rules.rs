//! Business Central's rules for the records it accepts: number uniqueness, references to
//! customers, items, invoices and journals, default dates, line amounts and document totals.

use jiff::{Timestamp, ToSpan};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

use super::currency;
use super::error::{ODataError, SAME_KEY_EXISTS};
use super::schema::{
    self, CUSTOMER_PAYMENT_JOURNALS, CUSTOMERS, EntitySet, ITEMS, JOURNALS, SALES_INVOICES,
};
use super::store::{Company, NULL_GUID, decimal_of, decimal_value};
use axum::http::StatusCode;

pub const PAYMENT_JOURNAL: &str = "CASHRCPT";

/// The number series the cash receipts journal gives its payments' document numbers.
const PAYMENT_NUMBERS: (&str, &str, usize) = ("customerPayments.documentNumber", "G-RCPT", 5);

pub fn today() -> String {
    Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

fn text<'a>(fields: &'a Map<String, Value>, key: &str) -> &'a str {
    fields.get(key).and_then(Value::as_str).unwrap_or("")
}

fn set_text(fields: &mut Map<String, Value>, key: &str, value: &str) {
    fields.insert(key.to_string(), Value::String(value.to_string()));
}

fn is_blank_guid(value: &str) -> bool {
    value.is_empty() || value == NULL_GUID
}

/// The line set of a document set, and the other way round.
pub fn lines_of(set: &EntitySet) -> Option<&'static EntitySet> {
    set.lines.and_then(schema::by_name)
}

pub fn parent_of(line_set: &EntitySet) -> Option<&'static EntitySet> {
    schema::ALL
        .iter()
        .copied()
        .find(|s| s.lines == Some(line_set.name))
}

/// Applies the set's rules to `fields` after the body's `changed` keys were written.
pub fn resolve(
    company: &Company,
    set: &EntitySet,
    fields: &mut Map<String, Value>,
    changed: &[&str],
    creating: bool,
) -> Result<(), ODataError> {
    let touched = |key: &str| changed.contains(&key);
    match set.name {
        "customers" | "items" => {
            if touched("number") {
                unique_number(company, set, fields)?;
            }
            if set.name == "customers" && (creating || touched("currencyCode")) {
                currency::validate(fields, "Customer")?;
            }
            let email = text(fields, "email");
            if touched("email") && !email.is_empty() && !looks_like_email(email) {
                return Err(ODataError::bad_request(format!(
                    "The email address \"{email}\" is not valid."
                )));
            }
        }
        "salesOrders" | "salesInvoices" | "salesCreditMemos" => {
            link_customer(
                company,
                fields,
                changed,
                "customerId",
                "customerNumber",
                true,
            )?;
            if set.name == "salesCreditMemos" {
                link_record(
                    company,
                    &SALES_INVOICES,
                    fields,
                    changed,
                    "invoiceId",
                    "invoiceNumber",
                    "Sales Invoice Header",
                )?;
            }
            if creating
                || touched("currencyCode")
                || touched("customerId")
                || touched("customerNumber")
            {
                currency::validate(fields, "Sales Header")?;
            }
            if creating {
                let date_key = match set.name {
                    "salesOrders" => "orderDate",
                    "salesInvoices" => "invoiceDate",
                    _ => "creditMemoDate",
                };
                for key in [date_key, "postingDate"] {
                    if !touched(key) {
                        set_text(fields, key, &today());
                    }
                }
                if set.name != "salesOrders" && !touched("dueDate") {
                    let due = text(fields, date_key)
                        .parse::<jiff::civil::Date>()
                        .ok()
                        .and_then(|d| d.checked_add(30.days()).ok())
                        .map(|d| d.to_string())
                        .unwrap_or_else(today);
                    set_text(fields, "dueDate", &due);
                }
                set_text(fields, "status", "Draft");
            }
        }
        "salesOrderLines" | "salesInvoiceLines" | "salesCreditMemoLines" => {
            let is_item = text(fields, "lineType") == "Item";
            if is_item && (touched("itemId") || touched("lineObjectNumber")) {
                let item = if touched("itemId") {
                    let id = text(fields, "itemId").to_string();
                    company
                        .find(&ITEMS, &id)
                        .ok_or_else(|| ODataError::record_not_found("Item", "Id", &id))?
                } else {
                    let number = text(fields, "lineObjectNumber").to_string();
                    company
                        .find_by(&ITEMS, "number", &number)
                        .ok_or_else(|| ODataError::record_not_found("Item", "No.", &number))?
                };
                let (id, number, name, price) = (
                    item.id().to_string(),
                    item.text("number").to_string(),
                    item.text("displayName").to_string(),
                    item.decimal("unitPrice"),
                );
                set_text(fields, "itemId", &id);
                set_text(fields, "lineObjectNumber", &number);
                if !touched("description") {
                    set_text(fields, "description", &name);
                }
                if !touched("unitPrice") {
                    fields.insert("unitPrice".into(), decimal_value(price));
                }
                if text(fields, "unitOfMeasureCode").is_empty() {
                    set_text(fields, "unitOfMeasureCode", "PCS");
                }
            }
            line_amounts(fields);
        }
        "customerPayments" => {
            let journal_id = text(fields, "journalId").to_string();
            if creating && is_blank_guid(&journal_id) {
                let journal = company
                    .find_by(&CUSTOMER_PAYMENT_JOURNALS, "code", PAYMENT_JOURNAL)
                    .map(|j| j.id().to_string())
                    .unwrap_or_default();
                set_text(fields, "journalId", &journal);
            }
            let journal_id = text(fields, "journalId").to_string();
            let journal = company
                .find(&CUSTOMER_PAYMENT_JOURNALS, &journal_id)
                .ok_or_else(|| {
                    ODataError::record_not_found("Gen. Journal Batch", "Id", &journal_id)
                })?;
            let code = journal.text("code").to_string();
            set_text(fields, "journalDisplayName", &code);
            if creating && !touched("lineNumber") {
                let next = next_line_number(company, set, "journalId", &journal_id);
                fields.insert("lineNumber".into(), Value::from(next));
            }
            if creating && !touched("postingDate") {
                set_text(fields, "postingDate", &today());
            }
            link_customer(
                company,
                fields,
                changed,
                "customerId",
                "customerNumber",
                false,
            )?;
            link_record(
                company,
                &SALES_INVOICES,
                fields,
                changed,
                "appliesToInvoiceId",
                "appliesToInvoiceNumber",
                "Sales Invoice Header",
            )?;
        }
        "journals" => {
            let code = text(fields, "code").to_ascii_uppercase();
            if code.is_empty() {
                return Err(ODataError::bad_request(
                    "The journal code must have a value.",
                ));
            }
            set_text(fields, "code", &code);
            let id = text(fields, "id").to_string();
            if company
                .entities(&JOURNALS)
                .any(|j| j.text("code") == code && j.id() != id)
            {
                return Err(ODataError::new(
                    StatusCode::BAD_REQUEST,
                    SAME_KEY_EXISTS,
                    format!(
                        "The record in table Gen. Journal Batch already exists. Identification fields and values: Name='{code}'"
                    ),
                ));
            }
            set_text(fields, "templateDisplayName", "GENERAL");
        }
        "journalLines" => {
            let journal_id = text(fields, "journalId").to_string();
            if let Some(journal) = company.find(&JOURNALS, &journal_id) {
                let code = journal.text("code").to_string();
                set_text(fields, "journalDisplayName", &code);
            }
            if creating && !touched("lineNumber") {
                let next = next_line_number(company, set, "journalId", &journal_id);
                fields.insert("lineNumber".into(), Value::from(next));
            }
            if creating && !touched("postingDate") {
                set_text(fields, "postingDate", &today());
            }
            if text(fields, "accountType") == "Customer" {
                link_customer(
                    company,
                    fields,
                    changed,
                    "accountId",
                    "accountNumber",
                    false,
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A new customer payment without a document number takes the next of the journal's series.
pub fn number_payment(company: &mut Company, fields: &mut Map<String, Value>, changed: &[&str]) {
    if !changed.contains(&"documentNumber") {
        let (series, prefix, width) = PAYMENT_NUMBERS;
        let number = company.next_in_series(series, prefix, width);
        set_text(fields, "documentNumber", &number);
    }
}

fn unique_number(
    company: &Company,
    set: &EntitySet,
    fields: &Map<String, Value>,
) -> Result<(), ODataError> {
    let number = text(fields, "number");
    let id = text(fields, "id");
    if company
        .entities(set)
        .any(|e| e.text("number") == number && e.id() != id)
    {
        let table = if set.name == "customers" {
            "Customer"
        } else {
            "Item"
        };
        return Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            SAME_KEY_EXISTS,
            format!(
                "The record in table {table} already exists. Identification fields and values: No.='{number}'"
            ),
        ));
    }
    Ok(())
}

fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !text.contains(char::is_whitespace)
}

fn link_customer(
    company: &Company,
    fields: &mut Map<String, Value>,
    changed: &[&str],
    id_key: &str,
    number_key: &str,
    with_name: bool,
) -> Result<(), ODataError> {
    let customer = if changed.contains(&id_key) && !is_blank_guid(text(fields, id_key)) {
        let id = text(fields, id_key).to_string();
        Some(
            company
                .find(&CUSTOMERS, &id)
                .ok_or_else(|| ODataError::record_not_found("Customer", "Id", &id))?,
        )
    } else if changed.contains(&number_key) && !text(fields, number_key).is_empty() {
        let number = text(fields, number_key).to_string();
        Some(
            company
                .find_by(&CUSTOMERS, "number", &number)
                .ok_or_else(|| ODataError::record_not_found("Customer", "No.", &number))?,
        )
    } else {
        None
    };
    if let Some(customer) = customer {
        let (id, number, name, currency) = (
            customer.id().to_string(),
            customer.text("number").to_string(),
            customer.text("displayName").to_string(),
            customer.text("currencyCode").to_string(),
        );
        set_text(fields, id_key, &id);
        set_text(fields, number_key, &number);
        if with_name {
            set_text(fields, "customerName", &name);
            if !changed.contains(&"currencyCode") && fields.contains_key("currencyCode") {
                set_text(fields, "currencyCode", &currency);
            }
        }
    }
    Ok(())
}

fn link_record(
    company: &Company,
    set: &EntitySet,
    fields: &mut Map<String, Value>,
    changed: &[&str],
    id_key: &str,
    number_key: &str,
    table: &str,
) -> Result<(), ODataError> {
    let record = if changed.contains(&id_key) && !is_blank_guid(text(fields, id_key)) {
        let id = text(fields, id_key).to_string();
        Some(
            company
                .find(set, &id)
                .ok_or_else(|| ODataError::record_not_found(table, "Id", &id))?,
        )
    } else if changed.contains(&number_key) && !text(fields, number_key).is_empty() {
        let number = text(fields, number_key).to_string();
        Some(
            company
                .find_by(set, "number", &number)
                .ok_or_else(|| ODataError::record_not_found(table, "No.", &number))?,
        )
    } else {
        None
    };
    if let Some(record) = record {
        let (id, number) = (record.id().to_string(), record.text("number").to_string());
        set_text(fields, id_key, &id);
        set_text(fields, number_key, &number);
    }
    Ok(())
}

fn next_line_number(company: &Company, set: &EntitySet, key: &str, parent: &str) -> i64 {
    company
        .entities(set)
        .filter(|e| e.text(key).eq_ignore_ascii_case(parent))
        .filter_map(|e| e.fields.get("lineNumber").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 10_000
}

fn money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A line's amounts from quantity, price, discount and tax rate.
pub fn line_amounts(fields: &mut Map<String, Value>) {
    let quantity = decimal_of(fields.get("quantity"));
    let price = decimal_of(fields.get("unitPrice"));
    let gross = money(quantity * price);
    let percent = decimal_of(fields.get("discountPercent"));
    let mut discount = decimal_of(fields.get("discountAmount"));
    if !percent.is_zero() {
        discount = money(gross * percent / Decimal::ONE_HUNDRED);
        fields.insert("discountAmount".into(), decimal_value(discount));
    }
    let net = gross - discount;
    let tax = money(net * decimal_of(fields.get("taxPercent")) / Decimal::ONE_HUNDRED);
    fields.insert("amountExcludingTax".into(), decimal_value(net));
    fields.insert("totalTaxAmount".into(), decimal_value(tax));
    fields.insert("amountIncludingTax".into(), decimal_value(net + tax));
}

/// Sums a document's lines into its totals. Returns false when the document is gone.
pub fn document_totals(company: &mut Company, header_set: &EntitySet, header_id: &str) -> bool {
    let Some(line_set) = lines_of(header_set) else {
        return false;
    };
    if header_set.property("totalAmountExcludingTax").is_none() {
        return false;
    }
    let (mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for line in company
        .entities(line_set)
        .filter(|l| l.text("documentId").eq_ignore_ascii_case(header_id))
    {
        net += line.decimal("amountExcludingTax");
        tax += line.decimal("totalTaxAmount");
    }
    let Some(header) = company.find_mut(header_set, header_id) else {
        return false;
    };
    let net = net - header.decimal("discountAmount");
    header
        .fields
        .insert("totalAmountExcludingTax".into(), decimal_value(net));
    header
        .fields
        .insert("totalTaxAmount".into(), decimal_value(tax));
    header
        .fields
        .insert("totalAmountIncludingTax".into(), decimal_value(net + tax));
    true
}
