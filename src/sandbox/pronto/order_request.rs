//! Reading an order/v6 POST body. What is not JSON, not an object or has no lines is a 400;
//! a field of the wrong type is a 422 naming it. Business rules (the debtor exists, the payment
//! adds up) are the transaction's to check later (`transactions.rs`).

use rust_decimal::Decimal;
use serde_json::Value;

use super::error::ApiError;
use super::records::Address;
use super::wire::{Fields, Quantity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub customer_reference: String,
    pub debtor: String,
    pub delivery_address: Address,
    pub delivery_phone: String,
    pub delivery_instructions: [String; 7],
    pub payment: Option<Payment>,
    pub lines: Vec<RequestLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub method: String,
    pub reference: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub bank_code: String,
    pub tax_rate_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// `"SN"` (stock) or `"DN"` (a note, with a description and no item).
    pub kind: String,
    pub item_code: String,
    pub description: String,
    pub quantity: Quantity,
    pub uom: String,
    pub price_ex_tax: Option<Decimal>,
    pub price_inc_tax: Decimal,
}

impl OrderRequest {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("The body is not valid JSON: {e}")))?;
        let fields = Fields::of("", &value).map_err(ApiError::bad_request)?;
        match fields.get("lines") {
            None => return Err(ApiError::bad_request("lines is missing")),
            Some(Value::Array(lines)) if lines.is_empty() => {
                return Err(ApiError::bad_request("lines is empty"));
            }
            Some(Value::Array(_)) => {}
            Some(_) => return Err(ApiError::bad_request("lines is not a list")),
        }
        Self::read(&fields).map_err(ApiError::unprocessable)
    }

    fn read(fields: &Fields<'_>) -> Result<Self, String> {
        let address = fields.object("delivery_address")?;
        let mut delivery_instructions: [String; 7] = Default::default();
        match fields.get("delivery_instructions") {
            None => {}
            // One text: the first instruction line.
            Some(Value::String(text)) => delivery_instructions[0] = text.clone(),
            Some(_) => {
                let given = fields.object("delivery_instructions")?;
                if let Some(given) = given {
                    for (i, text) in delivery_instructions.iter_mut().enumerate() {
                        *text = given.text(&format!("del_inst_{}", i + 1))?;
                    }
                }
            }
        }
        let payment = match fields.object("payment")? {
            None => None,
            Some(payment) => Some(Payment {
                method: payment.text("method")?,
                reference: payment.text("reference")?,
                amount: payment.decimal("amount")?,
                currency_code: payment.text("currency_code")?,
                bank_code: payment.text("bank_code")?,
                tax_rate_code: payment.text("tax_rate_code")?,
            }),
        };
        let mut lines = Vec::new();
        for (i, item) in fields.list("lines")?.iter().enumerate() {
            lines.push(read_line(&Fields::of(&format!("lines[{i}]"), item)?)?);
        }
        Ok(OrderRequest {
            customer_reference: fields.text("customer_reference")?,
            debtor: fields.text("debtor")?,
            delivery_address: Address::read(address.as_ref())?,
            delivery_phone: match &address {
                Some(address) => address.text("phone")?,
                None => String::new(),
            },
            delivery_instructions,
            payment,
            lines,
        })
    }
}

fn read_line(line: &Fields<'_>) -> Result<RequestLine, String> {
    let kind = match line.text("type")?.as_str() {
        "" | "SN" => "SN",
        "DN" => "DN",
        other => return Err(format!("{} '{other}' is not SN or DN", line.name("type"))),
    };
    if kind == "DN" {
        return Ok(RequestLine {
            kind: kind.into(),
            item_code: String::new(),
            description: line.text("description")?,
            quantity: Quantity::text(Decimal::ZERO),
            uom: String::new(),
            price_ex_tax: None,
            price_inc_tax: Decimal::ZERO,
        });
    }
    // Clients send `quantity` or `ordered_qty`; a line with neither has no number.
    let quantity_key = if line.get("quantity").is_none() && line.get("ordered_qty").is_some() {
        "ordered_qty"
    } else {
        "quantity"
    };
    Ok(RequestLine {
        kind: kind.into(),
        item_code: line.text("item_code")?,
        description: line.text("description")?,
        quantity: line.quantity(quantity_key)?,
        uom: line.text("uom")?,
        price_ex_tax: line.optional_decimal("price_ex_tax")?,
        price_inc_tax: line.decimal("price_inc_tax")?,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    fn refusal(body: &str) -> (StatusCode, String) {
        let error = OrderRequest::parse(body.as_bytes()).unwrap_err();
        (error.status, error.message)
    }

    #[test]
    fn the_shape_is_a_400_and_a_type_a_422_each_naming_the_field() {
        assert_eq!(refusal("[]").1, "The body is not an object");
        assert_eq!(refusal("{}"), (StatusCode::BAD_REQUEST, "lines is missing".into()));
        assert_eq!(refusal(r#"{"lines":[]}"#).1, "lines is empty");
        assert_eq!(refusal("{").0, StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal(r#"{"lines":[{"item_code":"A","quantity":1,"price_inc_tax":"1"},{"item_code":"B","quantity":"two","price_inc_tax":"1"}]}"#),
            (StatusCode::UNPROCESSABLE_ENTITY, "lines[1].quantity is not a number".into())
        );
        assert_eq!(
            refusal(r#"{"lines":[{"item_code":"A","quantity":1,"price_inc_tax":"1"}],"payment":{"amount":"x"}}"#).1,
            "payment.amount is not a number"
        );
    }

    #[test]
    fn ordered_qty_and_a_text_instruction_are_accepted() {
        let request = OrderRequest::parse(
            br#"{"debtor":"C1","delivery_instructions":"Leave at door",
                "lines":[{"type":"SN","item_code":"A","ordered_qty":"2","price_inc_tax":11}]}"#,
        )
        .unwrap();
        assert_eq!(request.delivery_instructions[0], "Leave at door");
        assert_eq!(request.lines[0].quantity, Quantity::text(Decimal::new(2, 0)));
        assert_eq!(request.payment, None);
    }
}
