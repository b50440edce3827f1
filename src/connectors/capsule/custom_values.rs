//! Custom field values between Capsule's `fields[]` (`{id, definition: {id, name}, value}`,
//! with `embed=fields`) and ferry's `.custom`, keyed and typed by the definitions the project
//! pulled ([`super::custom_fields`]); and the check that the account still has them.
//!
//! Values are carried exactly: a number stays the text Capsule sent (a decimal, never a
//! float), a date `YYYY-MM-DD`, a list value one of the list's options. A value that is none
//! of these is not guessed at: the record is dead-lettered (read) or refused (written).

use std::str::FromStr;
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::CapsuleClient;
use super::custom_fields::{Definition, FieldKind, Keyed, Pulled};
use super::entity::Entity;
use crate::connectors::ConnectorError;

/// What a client knows of the project's custom fields, and which entities it has checked
/// against the account.
#[derive(Debug)]
pub struct CustomFields {
    pub pulled: Pulled,
    checked: Mutex<Vec<&'static str>>,
}

impl CustomFields {
    pub fn new(pulled: Pulled) -> Self {
        CustomFields {
            pulled,
            checked: Mutex::new(Vec::new()),
        }
    }

    fn is_checked(&self, plural: &str) -> bool {
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&plural)
    }

    fn mark_checked(&self, plural: &'static str) {
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(plural);
    }
}

/// `value` as a `definition` holds it, or why it cannot be.
pub fn exact_value(definition: &Definition, value: &Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let refused = |what: &str| {
        Err(format!(
            "custom field \"{}\" ({}) holds {value}, which is not {what}",
            definition.name, definition.kind
        ))
    };
    match (definition.field_kind(), value) {
        (FieldKind::Text, Value::String(_)) => Ok(value.clone()),
        (FieldKind::Number, Value::Number(number)) => decimal_number(&number.to_string())
            .map_or_else(|| refused("an exact decimal"), Ok),
        (FieldKind::Number, Value::String(text)) => {
            decimal_number(text.trim()).map_or_else(|| refused("a decimal number"), Ok)
        }
        (FieldKind::Date, Value::String(text)) => match text.parse::<jiff::civil::Date>() {
            Ok(date) if date.to_string() == *text => Ok(value.clone()),
            _ => refused("a date (YYYY-MM-DD)"),
        },
        (FieldKind::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (FieldKind::Boolean, Value::String(text)) => match text.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => refused("true or false"),
        },
        (FieldKind::List, Value::String(text)) => {
            let options = definition.options.as_deref().unwrap_or_default();
            if options.iter().any(|option| option == text) {
                Ok(value.clone())
            } else {
                refused(&format!("one of its options ({})", options.join(", ")))
            }
        }
        (FieldKind::Text | FieldKind::Date | FieldKind::List, _) => refused("text"),
        (FieldKind::Number, _) => refused("a number"),
        (FieldKind::Boolean, _) => refused("true or false"),
    }
}

/// A JSON number with the decimal's own text (`12.50` stays `12.50`), through
/// `arbitrary_precision`: never an `f64`.
fn decimal_number(text: &str) -> Option<Value> {
    let decimal = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()?
    } else {
        Decimal::from_str_exact(text).ok()?
    };
    serde_json::Number::from_str(&decimal.to_string())
        .ok()
        .map(Value::Number)
}

/// Sets `record.custom` from its `fields[]`: every pulled field of the entity, null when the
/// record has no value for it. A record read without `embed=fields` (a write's answer) has no
/// `fields`, and gets no `custom`: its values are unknown, not empty.
pub fn fill_custom(keyed: &Keyed, record: &mut Value) -> Result<(), String> {
    let values = match record.get("fields") {
        None => return Ok(()),
        Some(Value::Array(values)) => values,
        Some(other) => return Err(format!("`fields` is {other}, not a list")),
    };
    let mut custom = Map::new();
    for (key, definition) in &keyed.fields {
        let value = values
            .iter()
            .find(|item| {
                item.get("definition")
                    .and_then(|d| d.get("id"))
                    .and_then(Value::as_u64)
                    == Some(definition.id)
            })
            .and_then(|item| item.get("value"))
            .unwrap_or(&Value::Null);
        custom.insert(key.clone(), exact_value(definition, value)?);
    }
    if let Value::Object(record) = record {
        record.insert("custom".into(), Value::Object(custom));
    }
    Ok(())
}

/// Turns a write's `custom` into Capsule's `fields`: `{"definition": {"id"}, "value"}` each.
pub fn custom_to_fields(keyed: &Keyed, write: &mut Value) -> Result<(), String> {
    let Some(Value::Object(custom)) = write.as_object_mut().and_then(|w| w.remove("custom"))
    else {
        return Ok(());
    };
    let mut fields = Vec::with_capacity(custom.len());
    for (key, value) in &custom {
        let definition = keyed.by_key(key).ok_or_else(|| {
            format!("`custom.{key}` is no custom field the project pulled (run `ferry schema pull`)")
        })?;
        let value = exact_value(definition, value)?;
        fields.push(json!({"definition": {"id": definition.id}, "value": value}));
    }
    if let Some(write) = write.as_object_mut()
        && !fields.is_empty()
    {
        write.insert("fields".into(), Value::Array(fields));
    }
    Ok(())
}

/// The first pulled definition the account no longer has as pulled: removed, of another type,
/// or a list whose options changed. A renamed field is not drift: values go by definition id,
/// and the key stays the pulled name until the next pull.
pub fn drift(plural: &str, pulled: &Keyed, live: &[Definition]) -> Option<String> {
    for (key, definition) in &pulled.fields {
        let field = format!(
            "`custom.{key}` (\"{}\", definition {}) of {plural}",
            definition.name, definition.id
        );
        let Some(now) = live.iter().find(|d| d.id == definition.id) else {
            return Some(format!("{field} is no longer in the Capsule account"));
        };
        if now.kind != definition.kind {
            return Some(format!(
                "{field} was pulled as {} but is now {} in the Capsule account",
                definition.kind, now.kind
            ));
        }
        if definition.field_kind() == FieldKind::List && now.options != definition.options {
            let options = |d: &Definition| d.options.clone().unwrap_or_default().join(", ");
            return Some(format!(
                "{field} had the options [{}] when pulled but now has [{}]",
                options(definition),
                options(now)
            ));
        }
    }
    None
}

impl CapsuleClient {
    /// The pulled custom fields of `entity`, once checked against the account's (`None` when
    /// the project pulled none or the entity has none).
    pub(super) async fn checked_custom(
        &self,
        entity: &Entity,
    ) -> Result<Option<&Keyed>, ConnectorError> {
        let Some(custom) = self.custom.as_deref() else {
            return Ok(None);
        };
        let Some(keyed) = custom.pulled.of(entity.plural) else {
            return Ok(None);
        };
        if keyed.fields.is_empty() || custom.is_checked(entity.plural) {
            return Ok(Some(keyed).filter(|k| !k.fields.is_empty()));
        }
        let live = self.definitions(entity).await?;
        if let Some(message) = drift(entity.plural, keyed, &live) {
            return Err(ConnectorError::PulledSchemaStale { message });
        }
        custom.mark_checked(entity.plural);
        Ok(Some(keyed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(id: u64, name: &str, kind: &str, options: Option<&[&str]>) -> Definition {
        Definition {
            id,
            name: name.into(),
            kind: kind.into(),
            options: options.map(|o| o.iter().map(|s| s.to_string()).collect()),
            tag: None,
        }
    }

    fn account() -> Keyed {
        Keyed::new(&[
            definition(1, "Credit limit", "number", None),
            definition(2, "Renewal date", "date", None),
            definition(3, "Plan", "list", Some(&["Basic", "Pro"])),
            definition(4, "Invoice by email", "boolean", None),
            definition(5, "Account number", "text", None),
        ])
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let limit = definition(1, "Credit limit", "number", None);
        let read = |json: &str| exact_value(&limit, &serde_json::from_str(json).unwrap());
        assert_eq!(read("1500.50").unwrap().to_string(), "1500.50");
        assert_eq!(read("\"0.10\"").unwrap().to_string(), "0.10");
        assert_eq!(
            read("12345678901234567890.123456789").unwrap().to_string(),
            "12345678901234567890.123456789"
        );
        assert_eq!(read("1e3").unwrap().to_string(), "1000");
        assert!(read("\"lots\"").unwrap_err().contains("not a decimal number"));
        assert!(read("true").unwrap_err().contains("not a number"));
    }

    #[test]
    fn fields_become_custom_and_back() {
        // Parsed from text, as a response is: `json!` would make 2500.00 an f64.
        let mut party: Value = serde_json::from_str(
            r#"{"id": 7, "fields": [
            {"id": 90, "definition": {"id": 1, "name": "Credit limit"}, "value": 2500.00},
            {"id": 91, "definition": {"id": 2, "name": "Renewal date"}, "value": "2027-03-31"},
            {"id": 92, "definition": {"id": 3, "name": "Plan"}, "value": "Pro"},
            {"id": 93, "definition": {"id": 4, "name": "Invoice by email"}, "value": true}
        ]}"#,
        )
        .unwrap();
        fill_custom(&account(), &mut party).unwrap();
        assert_eq!(
            party["custom"].to_string(),
            r#"{"credit_limit":2500.00,"renewal_date":"2027-03-31","plan":"Pro","invoice_by_email":true,"account_number":null}"#
        );
        let mut write: Value =
            serde_json::from_str(r#"{"name": "Acme", "custom": {"plan": "Basic", "credit_limit": 10.50}}"#)
                .unwrap();
        custom_to_fields(&account(), &mut write).unwrap();
        assert_eq!(
            write.to_string(),
            r#"{"name":"Acme","fields":[{"definition":{"id":3},"value":"Basic"},{"definition":{"id":1},"value":10.50}]}"#
        );
    }

    #[test]
    fn values_that_do_not_fit_are_refused() {
        let mut party = json!({"id": 7, "fields": [
            {"id": 92, "definition": {"id": 3, "name": "Plan"}, "value": "Gold"},
        ]});
        assert_eq!(
            fill_custom(&account(), &mut party).unwrap_err(),
            "custom field \"Plan\" (list) holds \"Gold\", which is not one of its options (Basic, Pro)"
        );
        let mut write = json!({"custom": {"renewal_date": "31/03/2027"}});
        assert!(
            custom_to_fields(&account(), &mut write)
                .unwrap_err()
                .contains("not a date (YYYY-MM-DD)")
        );
        let mut write = json!({"custom": {"renewl_date": "2027-03-31"}});
        assert!(
            custom_to_fields(&account(), &mut write)
                .unwrap_err()
                .starts_with("`custom.renewl_date` is no custom field")
        );
    }

    #[test]
    fn a_removed_or_retyped_field_is_drift() {
        let pulled = account();
        let mut live: Vec<Definition> = pulled.fields.iter().map(|(_, d)| d.clone()).collect();
        assert_eq!(drift("parties", &pulled, &live), None);
        live[4].name = "Account no.".into();
        assert_eq!(drift("parties", &pulled, &live), None, "a rename is not drift");
        live[1].kind = "text".into();
        assert_eq!(
            drift("parties", &pulled, &live).unwrap(),
            "`custom.renewal_date` (\"Renewal date\", definition 2) of parties was pulled as date but is now text in the Capsule account"
        );
        live.remove(1);
        assert!(
            drift("parties", &pulled, &live)
                .unwrap()
                .ends_with("is no longer in the Capsule account")
        );
    }
}
