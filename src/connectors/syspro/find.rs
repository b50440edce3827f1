//! Rows of one Syspro table through the generic find business object (COMFND, Query class).
//!
//! UNVERIFIED: COMFND's exact XmlIn (`TableName`, `ReturnRows`, `Columns/Column`,
//! `Where/Expression` with `Column`, `Condition`, `Value`, `OrderBy/Column`) and its XmlOut
//! (one `<Row>` per row under a root named after the table). The document is the template
//! `templates/comfnd.xml`; the answer is read by [`rows`].

use super::session::{Call, Session};
use super::xml::{self, Element, write_element};
use crate::connectors::ConnectorError;

const TEMPLATE: &str = include_str!("templates/comfnd.xml");

pub const BUSINESS_OBJECT: &str = "COMFND";

/// One condition of a find (`Customer GT 0000100`).
pub struct Condition<'c> {
    pub column: &'c str,
    /// `EQ` or `GT`.
    pub operator: &'c str,
    pub value: &'c str,
}

/// A find: which table, which columns, which rows, how many.
pub struct Find<'f> {
    pub table: &'f str,
    pub columns: &'f [&'f str],
    pub conditions: &'f [Condition<'f>],
    pub order_by: &'f str,
    pub rows: usize,
}

impl Find<'_> {
    /// The XmlIn document.
    pub fn document(&self) -> String {
        let mut columns = String::new();
        for column in self.columns {
            write_element(&mut columns, "Column", column);
        }
        let mut conditions = String::new();
        for (index, condition) in self.conditions.iter().enumerate() {
            conditions.push_str("<Expression>");
            write_element(&mut conditions, "OpenBracket", "(");
            write_element(&mut conditions, "Column", condition.column);
            write_element(&mut conditions, "Condition", condition.operator);
            write_element(&mut conditions, "Value", condition.value);
            write_element(&mut conditions, "CloseBracket", ")");
            if index + 1 < self.conditions.len() {
                write_element(&mut conditions, "AndOr", "And");
            }
            conditions.push_str("</Expression>");
        }
        xml::fill(
            TEMPLATE,
            &[
                ("table", &xml::escape(self.table)),
                ("rows", &self.rows.to_string()),
                ("columns", &columns),
                ("where", &conditions),
                ("order_by", &xml::escape(self.order_by)),
            ],
        )
    }

    /// Runs the find; the rows as Syspro returned them.
    pub async fn run(&self, session: &Session) -> Result<Vec<Element>, ConnectorError> {
        let document = self.document();
        let call = Call {
            method: "Query/Query",
            business_object: BUSINESS_OBJECT,
            parameters: None,
            document: &document,
        };
        let root = session.run(&call).await?;
        super::wire::check_document(&call.endpoint(), &root)?;
        Ok(rows(root))
    }
}

/// Rows of `table` whose `column` is `value`, in invoice, order or code order (`order_by`).
pub async fn rows_where(
    session: &Session,
    table: &str,
    columns: &[&str],
    (column, value): (&str, &str),
    order_by: &str,
    rows: usize,
) -> Result<Vec<Element>, ConnectorError> {
    Find {
        table,
        columns,
        conditions: &[Condition {
            column,
            operator: "EQ",
            value,
        }],
        order_by,
        rows,
    }
    .run(session)
    .await
}

/// The `<Row>` elements of a COMFND answer.
pub fn rows(root: Element) -> Vec<Element> {
    root.children
        .into_iter()
        .filter(|child| child.is("Row"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_escapes_values() {
        let find = Find {
            table: "SorMaster",
            columns: &["SalesOrder"],
            conditions: &[Condition {
                column: "CustomerPoNumber",
                operator: "EQ",
                value: "PO <1> & 2",
            }],
            order_by: "SalesOrder",
            rows: 1,
        };
        let root = xml::parse(&find.document()).unwrap();
        assert_eq!(root.text_of("TableName"), Some("SorMaster"));
        assert_eq!(
            root.at(&["Where", "Expression"]).unwrap().text_of("Value"),
            Some("PO <1> & 2")
        );
        assert_eq!(
            root.at(&["Columns"]).unwrap().text_of("Column"),
            Some("SalesOrder")
        );
    }
}
