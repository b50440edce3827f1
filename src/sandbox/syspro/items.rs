//! INVQRY (inventory query) and InvMaster's rows for COMFND: the company's stock items.
//!
//! A stock code not on file is answered as the recorded traffic shows it: the code's own
//! element holds its value, an error number and the description, and `StatusOfItems` counts it
//! invalid.

use indexmap::IndexMap;

use super::data::SysproData;
use crate::connectors::syspro::xml::{Element, write_element};

/// Every stock item as an InvMaster row (`StockCode`, `Description`, `StockUom`, `ProductClass`).
pub fn inv_master(data: &SysproData) -> Vec<IndexMap<String, String>> {
    data.stock
        .iter()
        .map(|(code, item)| {
            [
                ("StockCode", code.clone()),
                ("Description", item.description.clone()),
                ("StockUom", item.uom.clone()),
                ("ProductClass", String::new()),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect()
        })
        .collect()
}

/// INVQRY: one stock item by `Key/StockCode`, with a warehouse line for each warehouse.
pub fn query(data: &SysproData, document: &Element) -> String {
    let code = document
        .at(&["Key", "StockCode"])
        .map(|e| e.text.as_str())
        .unwrap_or_default();
    let mut out = String::from("<InvQuery>");
    let Some(item) = data.stock.get(code) else {
        out.push_str("<item><key/><stockcode>");
        write_element(&mut out, "Value", code);
        write_element(&mut out, "ErrorNumber", "240004");
        write_element(&mut out, "ErrorDescription", &format!("Stock code '{code}' not found"));
        out.push_str("</stockcode></item><StatusOfItems><RecordsRead>1</RecordsRead><RecordsInvalid>1</RecordsInvalid></StatusOfItems></InvQuery>");
        return out;
    };
    out.push_str("<StockItem>");
    for (name, value) in [
        ("StockCode", code),
        ("Description", &item.description),
        ("StockUom", &item.uom),
        ("SellingPrice", &item.price),
    ] {
        write_element(&mut out, name, value);
    }
    out.push_str("</StockItem>");
    for (warehouse, quantity) in &item.on_hand {
        out.push_str("<WarehouseItem>");
        write_element(&mut out, "Warehouse", warehouse);
        write_element(&mut out, "QtyOnHand", quantity);
        out.push_str("</WarehouseItem>");
    }
    out.push_str("</InvQuery>");
    out
}
