//! Stock items, read for Stripe's products and prices: their codes a page at a time through
//! COMFND on InvMaster, then each item whole through the inventory query INVQRY (its
//! `StockItem` and the `WarehouseItem`s whose `QtyOnHand` add up to the item's).
//!
//! UNVERIFIED: INVQRY's `SellingPrice` element (the item's list price; sites price through
//! price codes, and the element may be elsewhere) and InvMaster's columns in [`COLUMNS`].

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::find::{Condition, Find};
use super::schema::ITEM;
use super::session::{Call, Session};
use super::values::read_props;
use super::wire::{bad_response, check_document};
use super::xml::{self, Element};
use crate::connectors::{ConnectorError, TargetRecord};
use crate::value::json::decimal_json;

const QUERY: &str = include_str!("templates/invqry.xml");
const ENDPOINT: &str = "INVQRY (Query/Query)";

/// InvMaster's columns ferry lists; the emulator serves the same.
pub const COLUMNS: &[&str] = &["StockCode", "Description", "StockUom", "ProductClass"];

/// The codes of the stock items after `after` (from the start when empty), by code.
pub async fn codes(session: &Session, after: &str, rows: usize) -> Result<Vec<String>, ConnectorError> {
    let conditions = [Condition {
        column: "StockCode",
        operator: "GT",
        value: after,
    }];
    let find = Find {
        table: "InvMaster",
        columns: COLUMNS,
        conditions: if after.is_empty() { &[] } else { &conditions },
        order_by: "StockCode",
        rows,
    };
    Ok(find
        .run(session)
        .await?
        .iter()
        .filter_map(|row| row.text_of("StockCode").map(str::to_string))
        .collect())
}

/// An INVQRY answer as an item record.
pub fn item_record(root: &Element) -> Option<Map<String, Value>> {
    let stock = root.child("StockItem")?;
    let mut record = read_props(stock, ITEM);
    let mut on_hand = Decimal::ZERO;
    let mut any = false;
    for warehouse in root.children_named("WarehouseItem") {
        if let Some(quantity) = warehouse.text_of("QtyOnHand").and_then(|q| q.parse::<Decimal>().ok()) {
            on_hand += quantity;
            any = true;
        }
    }
    if any {
        record.insert("QtyOnHand".into(), decimal_json(&on_hand));
    }
    Some(record)
}

/// The stock item `code`, or `None` when Syspro has none.
pub async fn get(session: &Session, code: &str) -> Result<Option<TargetRecord>, ConnectorError> {
    let document = xml::fill(QUERY, &[("stock_code", &xml::escape(code))]);
    let call = Call {
        method: "Query/Query",
        business_object: "INVQRY",
        parameters: None,
        document: &document,
    };
    let root = session.run(&call).await?;
    match check_document(ENDPOINT, &root) {
        Ok(()) => {}
        // The stock code's own element says it is not on file.
        Err(ConnectorError::Api { param: Some(place), message, .. })
            if place.eq_ignore_ascii_case("stockcode")
                && message.to_ascii_lowercase().contains("not found") =>
        {
            return Ok(None);
        }
        Err(error) => return Err(error),
    }
    let record = item_record(&root).ok_or_else(|| bad_response(ENDPOINT, "no `StockItem` in XmlOut"))?;
    Ok(Some(TargetRecord {
        id: code.to_string(),
        data: Value::Object(record),
        etag: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_inventory_answer_reads_as_the_item_with_its_stock() {
        let root = xml::parse(
            "<invquery><StockItem><StockCode>A100</StockCode><Description>Frame</Description>\
             <StockUom>EA</StockUom><SellingPrice>450.00</SellingPrice></StockItem>\
             <WarehouseItem><Warehouse>FG</Warehouse><QtyOnHand>3.000</QtyOnHand></WarehouseItem>\
             <WarehouseItem><Warehouse>S1</Warehouse><QtyOnHand>1.500</QtyOnHand></WarehouseItem></invquery>",
        )
        .unwrap();
        let record = item_record(&root).unwrap();
        assert_eq!(record["Description"], json!("Frame"));
        assert_eq!(record["SellingPrice"].to_string(), "450.00");
        assert_eq!(record["QtyOnHand"].to_string(), "4.500");
    }
}
