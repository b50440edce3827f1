//! Amounts in a reconcile: which drifted fields are money, the rows a drifted list of document
//! lines gives (one per line and field, not one for the whole list), and the totals per
//! currency an accountant reads first.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Class, Mismatch};
use crate::check::Type;

/// One drifted leaf of a record: its path (`salesInvoiceLines[0].unitPrice`) and both values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Leaf {
    pub path: String,
    pub target: Value,
    pub pipeline: Value,
}

/// The drifted leaves under `path`, whose values are `pipeline` (what the pipeline would write)
/// and `target` (what the target holds). Lists of objects (a document's lines) are compared
/// item by item and field by field, so that a changed unit price is told as that; anything
/// else is one leaf.
pub(super) fn drifted_leaves(path: &str, pipeline: &Value, target: &Value) -> Vec<Leaf> {
    let mut leaves = Vec::new();
    walk(path, pipeline, target, &mut leaves);
    if leaves.is_empty() {
        // The values differ in a way the walk does not see (a list of another length is told
        // item by item, so this is a last resort): one leaf for the whole.
        leaves.push(Leaf {
            path: path.to_string(),
            target: target.clone(),
            pipeline: pipeline.clone(),
        });
    }
    leaves
}

fn walk(path: &str, pipeline: &Value, target: &Value, leaves: &mut Vec<Leaf>) {
    match (pipeline, target) {
        (Value::Array(ours), Value::Array(theirs)) if ours.iter().all(Value::is_object) => {
            for index in 0..ours.len().max(theirs.len()) {
                let item_path = format!("{path}[{index}]");
                match (ours.get(index), theirs.get(index)) {
                    (Some(ours), Some(theirs)) => walk(&item_path, ours, theirs, leaves),
                    (ours, theirs) => leaves.push(Leaf {
                        path: item_path,
                        target: theirs.cloned().unwrap_or(Value::Null),
                        pipeline: ours.cloned().unwrap_or(Value::Null),
                    }),
                }
            }
        }
        // Only the fields the pipeline sets: the target's others are its own.
        (Value::Object(ours), theirs) => {
            for (key, value) in ours {
                let existing = theirs.get(key).unwrap_or(&Value::Null);
                walk(&format!("{path}.{key}"), value, existing, leaves);
            }
        }
        (ours, theirs) if !crate::runtime::diff::same(ours, theirs) => leaves.push(Leaf {
            path: path.to_string(),
            target: theirs.clone(),
            pipeline: ours.clone(),
        }),
        _ => {}
    }
}

/// Whether the target's field at `path` (dotted, with `[n]` for list items) holds an amount:
/// a decimal or a count of a currency's minor units.
pub(super) fn is_amount(record: &Type, path: &str) -> bool {
    let mut ty = record;
    for part in path.split('.') {
        let name = part.split('[').next().unwrap_or(part);
        let Some(field) = object_field(ty, name) else {
            return false;
        };
        ty = field;
        if part.contains('[') {
            match ty.non_null() {
                Type::List(item) => ty = item,
                _ => return false,
            }
        }
    }
    matches!(ty.non_null(), Type::Decimal | Type::MinorUnits)
}

fn object_field<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    match ty.non_null() {
        Type::Object(object) => object.fields.get(name).map(|field| &field.ty),
        _ => None,
    }
}

/// The currency a record's amounts are in, from its own currency field (`currency` in
/// Stripe's objects, `currencyCode` in Business Central's and the ERPs'); `None` when it has
/// none or leaves it empty (Business Central's local currency).
pub(super) fn currency_of(record: &Value) -> Option<String> {
    ["currencyCode", "currency"]
        .iter()
        .find_map(|key| record.get(*key).and_then(Value::as_str))
        .filter(|code| !code.is_empty())
        .map(str::to_uppercase)
}

/// The amounts of the amount mismatches in one currency, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyTotal {
    /// ISO 4217, or `local` for amounts in the target's own currency (a ledger's).
    pub currency: String,
    /// Amount mismatches (rows) in it.
    pub mismatches: u64,
    /// What the target holds, added up.
    pub target: Decimal,
    /// What the pipeline would write, added up.
    pub pipeline: Decimal,
}

impl CurrencyTotal {
    /// The target's amounts less the pipeline's: how far the target is out.
    pub fn difference(&self) -> Decimal {
        self.target - self.pipeline
    }
}

/// Per currency, the amount mismatches' values added up; a value that is not a number (an
/// absent entry) counts as zero.
pub(super) fn currency_totals(rows: &[Mismatch]) -> Vec<CurrencyTotal> {
    let mut totals: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.class == Class::AmountMismatch) {
        let currency = row.currency.clone().unwrap_or_else(|| "local".to_string());
        let total = totals.entry(currency.clone()).or_insert(CurrencyTotal {
            currency,
            ..CurrencyTotal::default()
        });
        total.mismatches += 1;
        total.target += amount(row.target_value.as_ref());
        total.pipeline += amount(row.pipeline_value.as_ref());
    }
    totals.into_values().collect()
}

fn amount(value: Option<&Value>) -> Decimal {
    match value {
        Some(Value::Number(number)) => {
            let text = number.to_string();
            text.parse()
                .or_else(|_| Decimal::from_scientific(&text))
                .unwrap_or_default()
        }
        Some(Value::String(text)) => text.parse().unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_changed_unit_price_is_told_as_that_line_and_field() {
        let ours = json!([{"lineType": "Account", "unitPrice": 125.50, "quantity": 1}]);
        let theirs = json!([{"lineType": "Account", "unitPrice": 120, "quantity": 1, "id": "x"}]);
        let leaves = drifted_leaves("salesInvoiceLines", &ours, &theirs);
        assert_eq!(
            leaves,
            [Leaf {
                path: "salesInvoiceLines[0].unitPrice".into(),
                target: json!(120),
                pipeline: json!(125.50),
            }]
        );
    }

    #[test]
    fn a_line_too_many_or_too_few_is_a_leaf_of_its_own() {
        let ours = json!([{"unitPrice": 1}, {"unitPrice": 2}]);
        let theirs = json!([{"unitPrice": 1}]);
        let leaves = drifted_leaves("lines", &ours, &theirs);
        assert_eq!(leaves.len(), 1);
        assert_eq!(leaves[0].path, "lines[1]");
        assert_eq!(leaves[0].target, Value::Null);
    }

    #[test]
    fn totals_add_up_per_currency_exactly() {
        let row = |currency: Option<&str>, target: Value, pipeline: Value| Mismatch {
            pipeline: "p".into(),
            class: Class::AmountMismatch,
            source_id: None,
            target_id: None,
            field: None,
            target_value: Some(target),
            pipeline_value: Some(pipeline),
            detail: None,
            currency: currency.map(str::to_string),
        };
        let rows = [
            row(Some("AUD"), json!(0.1), json!(0.2)),
            row(Some("AUD"), json!(0.2), json!(0.2)),
            row(None, Value::Null, json!(-5)),
        ];
        let totals = currency_totals(&rows);
        assert_eq!(totals[0].currency, "AUD");
        assert_eq!(totals[0].difference(), Decimal::new(-1, 1));
        assert_eq!(totals[1].currency, "local");
        assert_eq!(totals[1].difference(), Decimal::new(5, 0));
    }
}
