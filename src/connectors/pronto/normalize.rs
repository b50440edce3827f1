//! Pronto's records as pipelines read them: decimals sent as text (`"44.2497"`, `"-3.0"`) or
//! floats (`249.0`) become exact decimals, blank decimals null, and `HH:MM DD-Mon-YYYY` times
//! RFC 3339. A decimal field holding something else is the record's fault, and it is rejected
//! with the field's path rather than handed on to fail somewhere less clear.

use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde_json::Value;

use super::endpoints::Resource;
use super::wire::parse_body_time;

/// The decimal fields of each resource, `[]` stepping into every item of a list.
fn decimal_paths(resource: Resource) -> &'static [&'static [&'static str]] {
    match resource {
        Resource::Products => &[
            &["pack_size"],
            &["prices", "[]", "breaks", "[]", "inc_tax"],
            &["prices", "[]", "breaks", "[]", "ex_tax"],
            &["prices", "[]", "breaks", "[]", "min_qty"],
            &["prices", "[]", "breaks", "[]", "max_qty"],
            &["prices", "[]", "base_price", "inc_tax"],
            &["prices", "[]", "base_price", "ex_tax"],
            &["inventory_quantities", "[]", "quantity"],
            &["uoms", "[]", "conv"],
            &["uoms", "[]", "weight"],
            &["uoms", "[]", "height"],
            &["uoms", "[]", "width"],
            &["uoms", "[]", "depth"],
        ],
        Resource::Orders | Resource::OrderCreate => &[
            &["payment_amount"],
            &["lines", "[]", "ordered_qty"],
            &["lines", "[]", "backordered_qty"],
            &["lines", "[]", "shipped_qty"],
            &["lines", "[]", "price_ex_tax"],
            &["lines", "[]", "price_inc_tax"],
        ],
        _ => &[],
    }
}

/// Text fields whose blank (`""`) means none.
const BLANK_IS_NONE: &[&str] = &["email", "customer_reference", "suffix"];

/// `record` as the schema types it, or the field that is not what it should be.
pub fn normalize(resource: Resource, mut record: Value, zone: &TimeZone) -> Result<Value, String> {
    for path in decimal_paths(resource) {
        decimals_at(&mut record, path, "")?;
    }
    for field in ["updated_at", "created_at"] {
        if let Some(slot) = record.get_mut(field) {
            match slot {
                Value::String(text) if text.trim().is_empty() => *slot = Value::Null,
                Value::String(text) => {
                    let at = parse_body_time(text, zone).ok_or_else(|| {
                        format!("`{field}` {text:?} is not `HH:MM DD-Mon-YYYY`")
                    })?;
                    *slot = Value::String(at.to_string());
                }
                _ => {}
            }
        }
    }
    if let Value::Object(fields) = &mut record {
        for field in BLANK_IS_NONE {
            if let Some(slot) = fields.get_mut(*field)
                && slot.as_str().is_some_and(|text| text.trim().is_empty())
            {
                *slot = Value::Null;
            }
        }
    }
    Ok(record)
}

fn decimals_at(value: &mut Value, path: &[&str], at: &str) -> Result<(), String> {
    let Some((step, rest)) = path.split_first() else {
        return to_decimal(value, at);
    };
    if *step == "[]" {
        if let Value::Array(items) = value {
            for (n, item) in items.iter_mut().enumerate() {
                decimals_at(item, rest, &format!("{at}[{n}]"))?;
            }
        }
        return Ok(());
    }
    match value.get_mut(*step) {
        Some(inner) => {
            let at = if at.is_empty() {
                step.to_string()
            } else {
                format!("{at}.{step}")
            };
            decimals_at(inner, rest, &at)
        }
        None => Ok(()),
    }
}

fn to_decimal(value: &mut Value, at: &str) -> Result<(), String> {
    let text = match value {
        Value::Null => return Ok(()),
        Value::String(text) if text.trim().is_empty() => {
            *value = Value::Null;
            return Ok(());
        }
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        other => return Err(format!("`{at}` is {other}, not a decimal")),
    };
    let decimal = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| format!("`{at}` {text:?} is not a decimal"))?;
    *value = crate::value::json::decimal_json(&decimal);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sydney() -> TimeZone {
        TimeZone::get("Australia/Sydney").unwrap()
    }

    #[test]
    fn decimals_in_text_or_floats_become_exact() {
        let product = json!({
            "code": "W1", "pack_size": "",
            "prices": [{"debtor": "", "base_price": {"inc_tax": "44.2497", "ex_tax": "40.2270"},
                        "breaks": [{"inc_tax": 11.0, "ex_tax": "10.0000", "min_qty": "1.0"}]}],
            "inventory_quantities": [{"warehouse": "1", "quantity": "-3.0"}],
            "updated_at": "03:10 23-Jul-2025",
        });
        let product = normalize(Resource::Products, product, &sydney()).unwrap();
        assert_eq!(product["pack_size"], json!(null));
        assert_eq!(product["prices"][0]["base_price"]["inc_tax"].to_string(), "44.2497");
        assert_eq!(product["prices"][0]["base_price"]["ex_tax"].to_string(), "40.2270");
        assert_eq!(product["prices"][0]["breaks"][0]["inc_tax"].to_string(), "11.0");
        assert_eq!(product["inventory_quantities"][0]["quantity"].to_string(), "-3.0");
        assert_eq!(product["updated_at"], json!("2025-07-22T17:10:00Z"));
    }

    #[test]
    fn a_field_that_is_no_decimal_names_its_path() {
        let order = json!({"lines": [{"price_inc_tax": "11.00"}, {"price_inc_tax": "N/A"}]});
        let error = normalize(Resource::Orders, order, &sydney()).unwrap_err();
        assert_eq!(error, "`lines[1].price_inc_tax` \"N/A\" is not a decimal");
        let debtor = json!({"code": "C1", "updated_at": "yesterday"});
        assert!(normalize(Resource::Debtors, debtor, &sydney()).is_err());
    }
}
