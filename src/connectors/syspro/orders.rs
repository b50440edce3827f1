//! Sales orders: imported with SORTOI (Transaction/Post), read with SORQRY (Query), found by
//! `CustomerPoNumber` through COMFND on the SorMaster table.
//!
//! UNVERIFIED: SORTOI's line elements per line type (below, in [`LINE_KINDS`]), that SORQRY
//! answers with the same line elements under `SalesOrderDetails` and the header under
//! `SalesOrderHeader`, and that SORTOI's XmlOut names the new order in `Order/SalesOrder`.

use serde_json::{Map, Value};

use super::find::{Condition, Find};
use super::schema::{ORDER_LINE, SALES_ORDER};
use super::session::{Call, Session};
use super::values::{typed, write_field};
use super::wire::{bad_response, check_document, refused};
use super::xml::{self, Element, write_element};
use crate::connectors::build::Kind;
use crate::connectors::{ConnectorError, TargetRecord};

const PARAMETERS: &str = include_str!("templates/sortoi_parameters.xml");
const DOCUMENT: &str = include_str!("templates/sortoi_document.xml");
const QUERY: &str = include_str!("templates/sorqry.xml");

/// One kind of order line: the `LineType` values it carries, its SORTOI element, and which
/// record field goes in which element. The first line kind is the default.
pub struct LineKind {
    pub line_types: &'static [&'static str],
    pub element: &'static str,
    /// `(record field, element)`; a description falls back to the stock code when absent.
    pub fields: &'static [(&'static str, &'static str)],
}

pub const LINE_KINDS: &[LineKind] = &[
    LineKind {
        line_types: &["1", "7"],
        element: "StockLine",
        fields: &[
            ("CustomerPoLine", "CustomerPoLine"),
            ("StockCode", "StockCode"),
            ("StockDescription", "StockDescription"),
            ("Warehouse", "Warehouse"),
            ("OrderQty", "OrderQty"),
            ("OrderUom", "OrderUom"),
            ("Price", "Price"),
            ("PriceUom", "PriceUom"),
            ("LineDiscPercent1", "LineDiscPercent1"),
        ],
    },
    LineKind {
        line_types: &["5"],
        element: "MiscChargeLine",
        fields: &[
            ("CustomerPoLine", "CustomerPoLine"),
            ("StockCode", "MiscDescription"),
            ("OrderQty", "MiscQuantity"),
            ("Price", "MiscChargeValue"),
        ],
    },
    LineKind {
        line_types: &["4"],
        element: "FreightLine",
        fields: &[
            ("CustomerPoLine", "CustomerPoLine"),
            ("Price", "FreightValue"),
        ],
    },
    LineKind {
        line_types: &["6"],
        element: "CommentLine",
        fields: &[
            ("CustomerPoLine", "CustomerPoLine"),
            ("StockCode", "Comment"),
        ],
    },
];

/// SORTOI's XmlParameters and XmlIn for `order`, to add it (`A`) or change its header (`C`).
pub fn sortoi_documents(order: &Value, action: &str) -> Result<(String, String), String> {
    let mut header = String::new();
    write_element(&mut header, "OrderActionType", action);
    write_field(&mut header, order, "SalesOrder", "SalesOrder")?;
    for prop in SALES_ORDER.iter().filter(|p| p.name != "lines") {
        write_field(&mut header, order, prop.name, prop.name)?;
    }
    let mut lines = String::new();
    let empty = Vec::new();
    let records = match order.get("lines") {
        Some(Value::Array(lines)) => lines,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err("`lines` is not a list".into()),
    };
    for (index, line) in records.iter().enumerate() {
        write_line(&mut lines, line, index + 1)?;
    }
    let document = xml::fill(DOCUMENT, &[("header", &header), ("lines", &lines)]);
    Ok((PARAMETERS.to_string(), document))
}

fn write_line(out: &mut String, line: &Value, position: usize) -> Result<(), String> {
    let line_type = line.get("LineType").and_then(Value::as_str).unwrap_or("1");
    let kind = LINE_KINDS
        .iter()
        .find(|kind| kind.line_types.contains(&line_type))
        .ok_or_else(|| format!("line {position}: unknown LineType `{line_type}`"))?;
    // A description element carries the description, else the stock code.
    let mut line = line.clone();
    if kind.element != "StockLine"
        && let Some(description) = line.get("StockDescription").cloned()
        && !description.is_null()
    {
        line["StockCode"] = description;
    }
    if line.get("CustomerPoLine").is_none_or(Value::is_null) {
        line["CustomerPoLine"] = Value::String(position.to_string());
    }
    out.push('<');
    out.push_str(kind.element);
    out.push('>');
    for (field, element) in kind.fields {
        write_field(out, &line, field, element)
            .map_err(|reason| format!("line {position}: {reason}"))?;
    }
    if line_type == "7" {
        write_element(out, "NonStockedLine", "Y");
    }
    out.push_str("</");
    out.push_str(kind.element);
    out.push('>');
    Ok(())
}

/// A SORQRY answer as a record: the header fields, `SalesOrder`, `OrderStatus` and `lines`.
pub fn order_record(root: &Element) -> Option<Map<String, Value>> {
    let header = root.child("SalesOrderHeader")?;
    let mut record = Map::new();
    for name in ["SalesOrder", "OrderStatus"] {
        if let Some(text) = header.text_of(name) {
            record.insert(name.to_string(), Value::String(text.to_string()));
        }
    }
    for prop in SALES_ORDER.iter().filter(|p| p.name != "lines") {
        if let Some(text) = header.text_of(prop.name) {
            record.insert(prop.name.to_string(), typed(prop.kind, text));
        }
    }
    let lines = root
        .child("SalesOrderDetails")
        .map(|details| details.children.iter().filter_map(line_record).collect())
        .unwrap_or_default();
    record.insert("lines".into(), Value::Array(lines));
    Some(record)
}

fn line_record(element: &Element) -> Option<Value> {
    let kind = LINE_KINDS.iter().find(|k| element.is(k.element))?;
    let mut line = Map::new();
    let line_type = match (kind.line_types, element.text_of("NonStockedLine")) {
        (["1", "7"], Some("Y")) => "7",
        (types, _) => types.first().copied().unwrap_or("1"),
    };
    line.insert("LineType".into(), Value::String(line_type.into()));
    for (field, wire) in kind.fields {
        if let Some(text) = element.text_of(wire) {
            let prop_kind = ORDER_LINE
                .iter()
                .find(|p| p.name == *field)
                .map(|p| p.kind)
                .unwrap_or(Kind::String);
            line.insert(field.to_string(), typed(prop_kind, text));
        }
    }
    Some(Value::Object(line))
}

/// Imports `order` (or changes its header with `action` `C`); SORTOI's XmlOut.
pub async fn post(
    session: &Session,
    order: &Value,
    action: &str,
) -> Result<Element, ConnectorError> {
    let endpoint = "SORTOI (Transaction/Post)";
    let (parameters, document) =
        sortoi_documents(order, action).map_err(|reason| refused(endpoint, None, reason))?;
    let call = Call {
        method: "Transaction/Post",
        business_object: "SORTOI",
        parameters: Some(&parameters),
        document: &document,
    };
    let root = session.run(&call).await?;
    check_document(endpoint, &root)?;
    Ok(root)
}

/// The sales order number SORTOI's XmlOut gives.
pub fn posted_number(root: &Element) -> Result<String, ConnectorError> {
    root.at(&["Order", "SalesOrder"])
        .map(|e| e.text.clone())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            bad_response(
                "SORTOI (Transaction/Post)",
                "no `Order/SalesOrder` in XmlOut",
            )
        })
}

/// The order with this number, or `None` when Syspro has none.
pub async fn get(session: &Session, number: &str) -> Result<Option<TargetRecord>, ConnectorError> {
    let document = xml::fill(QUERY, &[("sales_order", &xml::escape(number))]);
    let call = Call {
        method: "Query/Query",
        business_object: "SORQRY",
        parameters: None,
        document: &document,
    };
    let root = match session.run(&call).await {
        Ok(root) => root,
        Err(ConnectorError::Api {
            message,
            status: 422,
            ..
        }) if message.to_ascii_lowercase().contains("not found")
            || message.to_ascii_lowercase().contains("not on file") =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    check_document(&call.endpoint(), &root)?;
    let record = order_record(&root)
        .ok_or_else(|| bad_response(&call.endpoint(), "no `SalesOrderHeader` in XmlOut"))?;
    Ok(Some(TargetRecord {
        id: number.to_string(),
        data: Value::Object(record),
        etag: None,
    }))
}

/// The order whose `CustomerPoNumber` is `po_number`, if any.
pub async fn find_by_po(
    session: &Session,
    po_number: &str,
) -> Result<Option<TargetRecord>, ConnectorError> {
    let find = Find {
        table: "SorMaster",
        columns: &["SalesOrder", "CustomerPoNumber"],
        conditions: &[Condition {
            column: "CustomerPoNumber",
            operator: "EQ",
            value: po_number,
        }],
        order_by: "SalesOrder",
        rows: 1,
    };
    let rows = find.run(session).await?;
    match rows.first().and_then(|row| row.text_of("SalesOrder")) {
        Some(number) => get(session, number).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_becomes_a_sortoi_document() {
        let order = json!({
            "CustomerPoNumber": "ch_1 <&>", "Customer": "0000123", "Currency": "AUD",
            "lines": [
                {"StockCode": "STRIPE-SALE", "OrderQty": 1, "Price": 125.50, "LineType": "5"},
                {"StockCode": "A100", "OrderQty": 2, "Price": 3},
            ],
        });
        let (_, document) = sortoi_documents(&order, "A").unwrap();
        let root = xml::parse(&document).unwrap();
        let header = root.at(&["Orders", "OrderHeader"]).unwrap();
        assert_eq!(header.text_of("CustomerPoNumber"), Some("ch_1 <&>"));
        assert_eq!(header.text_of("OrderActionType"), Some("A"));
        let details = root.at(&["Orders", "OrderDetails"]).unwrap();
        let misc = details.child("MiscChargeLine").unwrap();
        assert_eq!(misc.text_of("MiscDescription"), Some("STRIPE-SALE"));
        assert_eq!(misc.text_of("MiscChargeValue"), Some("125.5"));
        assert_eq!(
            details
                .child("StockLine")
                .unwrap()
                .text_of("CustomerPoLine"),
            Some("2")
        );
    }

    #[test]
    fn a_query_answer_reads_back_as_the_order() {
        let root = xml::parse(
            "<SalesOrderQuery><SalesOrderHeader><SalesOrder>000012</SalesOrder>\
             <CustomerPoNumber>ch_1</CustomerPoNumber><Customer>0000123</Customer></SalesOrderHeader>\
             <SalesOrderDetails><MiscChargeLine><CustomerPoLine>1</CustomerPoLine>\
             <MiscDescription>STRIPE-SALE</MiscDescription><MiscQuantity>1.000</MiscQuantity>\
             <MiscChargeValue>125.50</MiscChargeValue></MiscChargeLine></SalesOrderDetails></SalesOrderQuery>",
        )
        .unwrap();
        let record = Value::Object(order_record(&root).unwrap());
        assert_eq!(record["SalesOrder"], json!("000012"));
        let line = &record["lines"][0];
        assert_eq!(line["LineType"], json!("5"));
        assert_eq!(line["StockCode"], json!("STRIPE-SALE"));
        assert_eq!(line["Price"].to_string(), "125.50");
    }
}
