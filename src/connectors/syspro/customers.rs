//! Customers: read through COMFND on the ArCustomer table, added and changed with the ARSSCS
//! setup business object (Setup/Add, Setup/Update).
//!
//! UNVERIFIED: that COMFND returns a custom form field (the Stripe customer id) as a column of
//! ArCustomer, and that ARSSCS takes it as an element of the customer. The field is the schema's
//! `StripeCustomerId`; sites name their custom form fields themselves.

use serde_json::{Map, Value};

use super::find::{Condition, Find};
use super::schema::CUSTOMER;
use super::session::{Call, Session};
use super::values::{read_props, write_field};
use super::wire::{bad_response, check_document, refused};
use super::xml::{self, Element};
use crate::connectors::build::Kind;
use crate::connectors::{ConnectorError, TargetRecord};

const PARAMETERS: &str = include_str!("templates/arsscs_parameters.xml");
const DOCUMENT: &str = include_str!("templates/arsscs_document.xml");

const TABLE: &str = "ArCustomer";

fn columns() -> Vec<&'static str> {
    CUSTOMER.iter().map(|prop| prop.name).collect()
}

/// A COMFND row as a customer record with every field: an empty text field is "" (Syspro
/// keeps blanks), an empty optional or numeric field (a custom form field never set) is null.
pub fn customer_record(row: &Element) -> Map<String, Value> {
    let mut record = read_props(row, CUSTOMER);
    for prop in CUSTOMER {
        let blank = match prop.kind {
            Kind::String if !prop.optional => Value::String(String::new()),
            _ => Value::Null,
        };
        record.entry(prop.name).or_insert(blank);
    }
    record
}

fn target(record: Map<String, Value>) -> Result<TargetRecord, ConnectorError> {
    let id = record
        .get("Customer")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad_response("COMFND (Query/Query)", "a customer row has no `Customer`"))?;
    Ok(TargetRecord {
        id,
        data: Value::Object(record),
        etag: None,
    })
}

/// Customers whose code comes after `after` (all from the start when empty), by code.
pub async fn page(
    session: &Session,
    after: &str,
    rows: usize,
) -> Result<Vec<Map<String, Value>>, ConnectorError> {
    let columns = columns();
    let conditions = [Condition {
        column: "Customer",
        operator: "GT",
        value: after,
    }];
    let find = Find {
        table: TABLE,
        columns: &columns,
        conditions: if after.is_empty() { &[] } else { &conditions },
        order_by: "Customer",
        rows,
    };
    Ok(find
        .run(session)
        .await?
        .iter()
        .map(customer_record)
        .collect())
}

/// The customer whose `column` is `value` (the first by code), if any.
pub async fn find_by(
    session: &Session,
    column: &str,
    value: &str,
) -> Result<Option<TargetRecord>, ConnectorError> {
    let columns = columns();
    let find = Find {
        table: TABLE,
        columns: &columns,
        conditions: &[Condition {
            column,
            operator: "EQ",
            value,
        }],
        order_by: "Customer",
        rows: 1,
    };
    match find.run(session).await?.first() {
        Some(row) => target(customer_record(row)).map(Some),
        None => Ok(None),
    }
}

/// ARSSCS's XmlParameters and XmlIn for `fields` of customer `code`.
pub fn setup_documents(code: &str, fields: &Value) -> Result<(String, String), String> {
    let mut elements = String::new();
    for prop in CUSTOMER.iter().filter(|p| p.name != "Customer") {
        write_field(&mut elements, fields, prop.name, prop.name)?;
    }
    let document = xml::fill(
        DOCUMENT,
        &[("customer", &xml::escape(code)), ("fields", &elements)],
    );
    Ok((PARAMETERS.to_string(), document))
}

/// Adds (`Setup/Add`) or changes (`Setup/Update`) customer `code`; the customer as it is then.
pub async fn set_up(
    session: &Session,
    method: &str,
    code: &str,
    fields: &Value,
) -> Result<TargetRecord, ConnectorError> {
    let endpoint = format!("ARSSCS ({method})");
    let (parameters, document) =
        setup_documents(code, fields).map_err(|reason| refused(&endpoint, None, reason))?;
    let call = Call {
        method,
        business_object: "ARSSCS",
        parameters: Some(&parameters),
        document: &document,
    };
    let root = session.run(&call).await?;
    check_document(&endpoint, &root)?;
    find_by(session, "Customer", code).await?.ok_or_else(|| {
        bad_response(
            &endpoint,
            format!("customer `{code}` is not on file after the setup"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_customer_becomes_an_arsscs_document() {
        let fields =
            json!({"Name": "R&D Pty", "Email": "a@b.c", "CreditLimit": 5000, "Telephone": null});
        let (_, document) = setup_documents("S1", &fields).unwrap();
        let root = xml::parse(&document).unwrap();
        let item = root.child("Item").unwrap();
        assert_eq!(item.at(&["Key"]).unwrap().text_of("Customer"), Some("S1"));
        assert_eq!(item.text_of("Name"), Some("R&D Pty"));
        assert_eq!(item.text_of("CreditLimit"), Some("5000"));
        assert!(item.child("Telephone").is_none());
    }

    #[test]
    fn rows_read_as_customers_with_every_field() {
        let row = xml::parse("<Row><Customer>0000123</Customer><Name>Ada</Name><CreditLimit>10.50</CreditLimit></Row>").unwrap();
        let record = customer_record(&row);
        assert_eq!(record["Name"], json!("Ada"));
        assert_eq!(record["StripeCustomerId"], Value::Null);
        assert_eq!(record["SoldToAddr2"], json!(""));
        assert_eq!(record["CreditLimit"].to_string(), "10.50");
    }
}
