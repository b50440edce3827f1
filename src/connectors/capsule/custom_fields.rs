//! Capsule's custom field definitions, pulled into the project (`schemas/<connection>.json`)
//! and typed as `.custom` of parties, opportunities and kases.
//!
//! Verified in Capsule's API v2 documentation (the Custom Field page):
//! `GET /{parties|opportunities|kases}/fields/definitions` answers `{"definitions": [...]}`,
//! paged with `Link` like every listing; a definition has `id`, `name`, `type`, `displayOrder`,
//! optionally `description`, `captureRule` (`person` or `organisation`), `options` (a list's
//! choices) and `tag` (`{id, name, dataTag}`: a field of a data tag). The documented example
//! shows the types `text`, `number`, `date`, `list` and `boolean`.
//!
//! Unverified: other types Capsule's screens offer (`link`, `large text`) are typed as text
//! here, whatever name the API gives them; and the JSON of a value (a number as a JSON
//! number, a date as `YYYY-MM-DD`, a boolean as `true`/`false`), see [`super::custom_values`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CapsuleClient;
use super::entity::{self, Entity};
use crate::check::{Field, Type};
use crate::connectors::client::Call;
use crate::connectors::project_schema::ProjectSchemas;
use crate::connectors::{ConnectorError, ResolvedConnection};

pub static PROJECT_SCHEMAS: ProjectSchemas = ProjectSchemas {
    extend: |file| Ok(super::custom_schema::with_custom_fields(&Pulled::from_file(file)?)),
    pull,
};

/// The entities that have custom fields, in the order a pulled file lists them.
pub const ENTITIES: [&Entity; 3] = [&entity::PARTIES, &entity::OPPORTUNITIES, &entity::KASES];

/// One definition as Capsule lists it (what ferry keeps of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    pub id: u64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// A list's choices (null or absent for other types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// The data tag the field belongs to, if any: Capsule fills it only on records with the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<DefinitionTag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionTag {
    pub id: u64,
    pub name: String,
}

/// What a definition's values are, by its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Boolean,
    List,
}

impl Definition {
    pub fn field_kind(&self) -> FieldKind {
        match self.kind.as_str() {
            "number" => FieldKind::Number,
            "date" => FieldKind::Date,
            "boolean" => FieldKind::Boolean,
            "list" => FieldKind::List,
            // `text` and whatever else holds text (links, long text).
            _ => FieldKind::Text,
        }
    }

    /// The field's type in `.custom`. Dates stay `YYYY-MM-DD` text, as every date read from
    /// JSON does until `date(...)` parses it.
    pub fn ty(&self) -> Type {
        match self.field_kind() {
            FieldKind::Text | FieldKind::Date | FieldKind::List => Type::String,
            FieldKind::Number => Type::Decimal,
            FieldKind::Boolean => Type::Bool,
        }
    }

    /// Its field in the schema: documented with Capsule's name and type, a list's options as
    /// the allowed values.
    pub fn schema_field(&self, ty: Type) -> Field {
        let mut doc = format!("Capsule custom field \"{}\" ({}", self.name, self.kind);
        if let Some(tag) = &self.tag {
            doc.push_str(&format!(", of the tag \"{}\"", tag.name));
        }
        doc.push_str(&format!(", definition {}).", self.id));
        if self.field_kind() == FieldKind::Date {
            doc.push_str(" A date as YYYY-MM-DD.");
        }
        let mut field = Field::new(ty).doc(doc);
        if self.field_kind() == FieldKind::List {
            field.allowed = self.options.clone();
        }
        field
    }
}

/// A definition's name as a key of `.custom`: lower case, every run of characters other than
/// ASCII letters and digits one `_`, none at either end (`Renewal Date` -> `renewal_date`,
/// `VAT no.` -> `vat_no`). A name that starts with a digit gets `field_` before it; one that
/// leaves nothing is `field`.
pub fn key_of(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    while key.ends_with('_') {
        key.pop();
    }
    if key.is_empty() {
        return "field".into();
    }
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert_str(0, "field_");
    }
    key
}

/// The custom fields an account has for one entity, each with its key in `.custom`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyed {
    pub fields: Vec<(String, Definition)>,
}

impl Keyed {
    /// Keys for `definitions` in Capsule's order. Two names with one key (`Plan` and `plan.`)
    /// are told apart by the later one's definition id (`plan_52`), so a key never moves from
    /// one field to another while both exist.
    pub fn new(definitions: &[Definition]) -> Self {
        let mut fields: Vec<(String, Definition)> = Vec::with_capacity(definitions.len());
        for definition in definitions {
            let mut key = key_of(&definition.name);
            if fields.iter().any(|(taken, _)| *taken == key) {
                key = format!("{key}_{}", definition.id);
            }
            fields.push((key, definition.clone()));
        }
        Keyed { fields }
    }

    pub fn by_key(&self, key: &str) -> Option<&Definition> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, d)| d)
    }
}

/// A pulled file: `{"kind": "capsule", "custom_fields": {"parties": [...], ...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pulled {
    /// By entity plural (`parties`), as [`ENTITIES`] orders them.
    pub entities: Vec<(&'static str, Keyed)>,
}

#[derive(Serialize, Deserialize)]
struct PulledFile {
    kind: String,
    custom_fields: std::collections::BTreeMap<String, Vec<Definition>>,
}

impl Pulled {
    pub fn from_file(file: &Value) -> Result<Pulled, String> {
        let parsed: PulledFile = serde_json::from_value(file.clone())
            .map_err(|error| format!("not a pulled Capsule file: {error}"))?;
        if let Some(unknown) = parsed
            .custom_fields
            .keys()
            .find(|name| !ENTITIES.iter().any(|e| e.plural == name.as_str()))
        {
            return Err(format!(
                "`custom_fields.{unknown}`: Capsule has custom fields on parties, opportunities and kases only"
            ));
        }
        let entities = ENTITIES
            .iter()
            .map(|entity| {
                let definitions = parsed
                    .custom_fields
                    .get(entity.plural)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                (entity.plural, Keyed::new(definitions))
            })
            .collect();
        Ok(Pulled { entities })
    }

    /// The custom fields of `plural` (none for an entity without any).
    pub fn of(&self, plural: &str) -> Option<&Keyed> {
        self.entities
            .iter()
            .find(|(name, _)| *name == plural)
            .map(|(_, keyed)| keyed)
    }
}

/// The file `ferry schema pull` writes: the definitions as Capsule lists them.
fn pulled_file(definitions: Vec<(&'static str, Vec<Definition>)>) -> Value {
    let file = PulledFile {
        kind: super::DESCRIPTOR.name.to_string(),
        custom_fields: definitions
            .into_iter()
            .map(|(plural, list)| (plural.to_string(), list))
            .collect(),
    };
    serde_json::to_value(file).unwrap_or(Value::Null)
}

fn pull(connection: &ResolvedConnection) -> Call<'_, Value> {
    Box::pin(async move {
        let client = CapsuleClient::new(connection)?;
        let mut all = Vec::new();
        for entity in ENTITIES {
            all.push((entity.plural, client.definitions(entity).await?));
        }
        Ok(pulled_file(all))
    })
}

impl CapsuleClient {
    /// Every custom field definition of `entity`, every page.
    pub(super) async fn definitions(
        &self,
        entity: &Entity,
    ) -> Result<Vec<Definition>, ConnectorError> {
        let path = format!("{}/fields/definitions", entity.plural);
        let (listed, _) = self
            .list_every_page(&DEFINITIONS, &path)
            .await?;
        listed
            .into_iter()
            .map(|definition| {
                serde_json::from_value(definition).map_err(|error| ConnectorError::BadResponse {
                    endpoint: format!("capsule {path}"),
                    reason: format!("a definition is malformed: {error}"),
                })
            })
            .collect()
    }
}

/// The definitions' listing as [`CapsuleClient::list_every_page`] reads it: `{"definitions"}`,
/// no embeds.
const DEFINITIONS: Entity = Entity {
    plural: "definitions",
    singular: "definition",
    deleted: None,
    since: false,
    list_query: &[],
    poll_embed: None,
    of_party: None,
    writable: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_snake_case_names() {
        assert_eq!(key_of("Renewal Date"), "renewal_date");
        assert_eq!(key_of("VAT no."), "vat_no");
        assert_eq!(key_of("  Lead -- Score "), "lead_score");
        assert_eq!(key_of("2nd contact"), "field_2nd_contact");
        assert_eq!(key_of("Ünïcode"), "n_code");
        assert_eq!(key_of("???"), "field");
    }

    #[test]
    fn names_with_one_key_are_told_apart_by_id() {
        let definition = |id, name: &str| Definition {
            id,
            name: name.into(),
            kind: "text".into(),
            options: None,
            tag: None,
        };
        let keyed = Keyed::new(&[definition(1, "Plan"), definition(2, "plan.")]);
        let keys: Vec<&str> = keyed.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["plan", "plan_2"]);
    }

    #[test]
    fn a_pulled_file_names_known_entities_only() {
        let file = serde_json::json!({"kind": "capsule", "custom_fields": {"people": []}});
        assert_eq!(
            Pulled::from_file(&file).unwrap_err(),
            "`custom_fields.people`: Capsule has custom fields on parties, opportunities and kases only"
        );
    }
}
