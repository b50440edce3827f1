//! How Pronto writes values: decimals as strings (4 places for product prices, 2 for order
//! amounts), quantities as `"1.0"` strings or bare `249.0` numbers, empty text as `""`. And
//! reading them back from a JSON object, naming the field that is wrong.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Number, Value};

/// `amount` to `places`, a half away from zero as accounts round (not to even, rust_decimal's
/// default).
pub fn rounded(amount: Decimal, places: u32) -> Decimal {
    amount.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// A product price: always 4 places (`"44.2497"`).
pub fn price4(amount: Decimal) -> String {
    format!("{:.4}", rounded(amount, 4))
}

/// An order amount: 2 places, or up to 4 when it was sent with more.
pub fn money(amount: Decimal) -> String {
    let amount = rounded(amount, 4).normalize();
    if amount.scale() <= 2 {
        format!("{amount:.2}")
    } else {
        amount.to_string()
    }
}

/// A quantity with at least one place (`"-3.0"`, `"2.5"`).
pub fn quantity_text(quantity: Decimal) -> String {
    let quantity = quantity.normalize();
    if quantity.scale() == 0 {
        format!("{quantity}.0")
    } else {
        quantity.to_string()
    }
}

/// A line quantity as Pronto sends it: a string, or a JSON number written the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    pub value: Decimal,
    pub as_number: bool,
}

impl Quantity {
    pub fn text(value: Decimal) -> Self {
        Quantity {
            value,
            as_number: false,
        }
    }

    pub fn number(value: Decimal) -> Self {
        Quantity {
            value,
            as_number: true,
        }
    }

    pub fn shown(&self) -> Value {
        let text = quantity_text(self.value);
        match (self.as_number, Number::from_str(&text)) {
            (true, Ok(number)) => Value::Number(number),
            _ => Value::String(text),
        }
    }
}

/// Amounts and quantities are below this in size (a trillion): a line's quantity times its
/// price then fits a decimal with room to add many lines.
const LARGEST: i64 = 1_000_000_000_000;

/// A decimal from a JSON number or a numeric string (without going through a float).
pub fn decimal_of(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// Reads the fields of one JSON object, each error naming the field by its path
/// (`lines[0].quantity`).
pub struct Fields<'a> {
    path: String,
    object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// `value` as an object, or the error `"<path> is not an object"`.
    pub fn of(path: &str, value: &'a Value) -> Result<Self, String> {
        match value {
            Value::Object(object) => Ok(Fields {
                path: path.to_string(),
                object,
            }),
            _ => Err(format!("{} is not an object", display_path(path))),
        }
    }

    pub fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Text, `""` when absent; a number is taken as its digits (codes are often numeric).
    pub fn text(&self, key: &str) -> Result<String, String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(Value::Number(number)) => Ok(number.to_string()),
            Some(_) => Err(format!("{} is not a string", self.name(key))),
        }
    }

    /// A number within a trillion either way, so that totals cannot overflow.
    pub fn decimal(&self, key: &str) -> Result<Decimal, String> {
        let value = self
            .get(key)
            .and_then(decimal_of)
            .ok_or_else(|| format!("{} is not a number", self.name(key)))?;
        if value.abs() >= Decimal::from(LARGEST) {
            return Err(format!("{} is out of range", self.name(key)));
        }
        Ok(value)
    }

    /// A decimal that may be absent or `""`.
    pub fn optional_decimal(&self, key: &str) -> Result<Option<Decimal>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(_) => self.decimal(key).map(Some),
        }
    }

    /// A quantity, remembering whether it came as a number or a string.
    pub fn quantity(&self, key: &str) -> Result<Quantity, String> {
        let value = self.decimal(key)?;
        Ok(Quantity {
            value,
            as_number: matches!(self.get(key), Some(Value::Number(_))),
        })
    }

    /// A list, empty when absent.
    pub fn list(&self, key: &str) -> Result<&'a [Value], String> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(format!("{} is not a list", self.name(key))),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        self.get(key).map(|v| Fields::of(&self.name(key), v)).transpose()
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "The body" } else { path }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decimals_keep_their_places_and_quantities_their_form() {
        assert_eq!(price4(Decimal::new(442497, 4)), "44.2497");
        assert_eq!(price4(Decimal::new(11, 0)), "11.0000");
        assert_eq!(money(Decimal::new(1150, 2)), "11.50");
        assert_eq!(money(Decimal::new(90909, 4)), "9.0909");
        assert_eq!(rounded(Decimal::new(125, 3), 2), Decimal::new(13, 2));
        assert_eq!(quantity_text(Decimal::new(-3, 0)), "-3.0");
        assert_eq!(Quantity::number(Decimal::new(249, 0)).shown().to_string(), "249.0");
        assert_eq!(Quantity::text(Decimal::new(1, 0)).shown(), json!("1.0"));
    }

    #[test]
    fn fields_name_the_path_of_what_is_wrong() {
        let line = json!({"quantity": "two", "price_inc_tax": 11.5, "item_code": ["x"]});
        let fields = Fields::of("lines[1]", &line).unwrap();
        assert_eq!(
            fields.decimal("quantity"),
            Err("lines[1].quantity is not a number".into())
        );
        assert_eq!(fields.decimal("price_inc_tax"), Ok(Decimal::new(115, 1)));
        let huge = json!({"quantity": "1e27"});
        assert_eq!(
            Fields::of("lines[0]", &huge).unwrap().decimal("quantity"),
            Err("lines[0].quantity is out of range".into())
        );
        assert_eq!(
            fields.text("item_code"),
            Err("lines[1].item_code is not a string".into())
        );
        assert_eq!(
            Fields::of("", &json!([])).err(),
            Some("The body is not an object".into())
        );
    }
}
