//! The emulator's records: companies, each with its entity sets, number series and the
//! version counter behind every `@odata.etag`.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::schema::{self, EntitySet, Kind};

/// One record; `fields` holds every property of its set, `id` included.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// Insertion order: the default ordering and the basis of `$skiptoken`.
    pub seq: u64,
    /// Bumped on every write; the etag encodes it.
    pub version: u64,
    pub fields: Map<String, Value>,
}

impl Entity {
    pub fn id(&self) -> &str {
        self.fields.get("id").and_then(Value::as_str).unwrap_or("")
    }

    pub fn text(&self, key: &str) -> &str {
        self.fields.get(key).and_then(Value::as_str).unwrap_or("")
    }

    pub fn decimal(&self, key: &str) -> Decimal {
        decimal_of(self.fields.get(key))
    }

    /// `W/"JzE..."`: base64 of `'<digits>;<version>;'`, the same look as Business Central's.
    pub fn etag(&self) -> String {
        let inner = format!(
            "'{};{}{};'",
            self.version.to_string().len(),
            self.version,
            self.seq
        );
        format!("W/\"{}\"", base64(inner.as_bytes()))
    }
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub sets: HashMap<&'static str, BTreeMap<u64, Entity>>,
    numbers: HashMap<&'static str, u64>,
    /// General Ledger Setup's Allow Posting From / To (`YYYY-MM-DD`; none is open-ended): a
    /// posting dated outside is refused. API v2.0 does not expose the setup; tests set it.
    pub allow_posting_from: Option<String>,
    pub allow_posting_to: Option<String>,
}

impl Company {
    pub fn new(id: String, name: &str) -> Self {
        Company {
            id,
            name: name.to_string(),
            display_name: name.to_string(),
            sets: schema::ALL
                .iter()
                .map(|s| (s.name, BTreeMap::new()))
                .collect(),
            numbers: HashMap::new(),
            allow_posting_from: None,
            allow_posting_to: None,
        }
    }

    pub fn entities(&self, set: &EntitySet) -> impl Iterator<Item = &Entity> {
        self.sets.get(set.name).into_iter().flat_map(|m| m.values())
    }

    pub fn find(&self, set: &EntitySet, id: &str) -> Option<&Entity> {
        self.entities(set).find(|e| e.id().eq_ignore_ascii_case(id))
    }

    pub fn find_by(&self, set: &EntitySet, key: &str, value: &str) -> Option<&Entity> {
        self.entities(set).find(|e| e.text(key) == value)
    }

    pub fn find_mut(&mut self, set: &EntitySet, id: &str) -> Option<&mut Entity> {
        self.sets
            .get_mut(set.name)?
            .values_mut()
            .find(|e| e.id().eq_ignore_ascii_case(id))
    }

    pub fn insert(&mut self, set: &EntitySet, entity: Entity) {
        self.sets
            .entry(set.name)
            .or_default()
            .insert(entity.seq, entity);
    }

    pub fn remove(&mut self, set: &EntitySet, id: &str) -> Option<Entity> {
        let entities = self.sets.get_mut(set.name)?;
        let seq = entities
            .values()
            .find(|e| e.id().eq_ignore_ascii_case(id))?
            .seq;
        entities.remove(&seq)
    }

    /// The next number of a series that no entity set owns (`prefix` then `width` digits).
    pub fn next_in_series(&mut self, series: &'static str, prefix: &str, width: usize) -> String {
        let next = self.numbers.entry(series).or_insert(1);
        let number = format!("{prefix}{:0width$}", *next);
        *next += 1;
        number
    }

    /// The next number of the set's series, skipping numbers already taken by hand.
    pub fn next_number(&mut self, set: &EntitySet) -> Option<String> {
        let (prefix, first, width) = set.numbers?;
        loop {
            let next = self.numbers.entry(set.name).or_insert(first);
            let number = format!("{prefix}{:0width$}", *next);
            *next += 1;
            if self.find_by(set, "number", &number).is_none() {
                return Some(number);
            }
        }
    }
}

/// Everything the emulator holds.
#[derive(Debug)]
pub struct BcData {
    pub companies: Vec<Company>,
    pub ids: Ids,
    /// Ids of the records ferry did not make: seed data and drift's additions (`drift.rs`
    /// changes and deletes only the others).
    pub not_ferrys: HashSet<String>,
}

impl BcData {
    pub fn new(rng: StdRng) -> Self {
        BcData {
            companies: Vec::new(),
            not_ferrys: HashSet::new(),
            ids: Ids {
                rng,
                next_seq: 0,
                next_version: 0,
            },
        }
    }

    pub fn company_index(&self, id: &str) -> Option<usize> {
        self.companies
            .iter()
            .position(|c| c.id.eq_ignore_ascii_case(id))
    }
}

/// Where new ids, insertion numbers and versions come from (seeded when the sandbox is).
#[derive(Debug)]
pub struct Ids {
    pub rng: StdRng,
    next_seq: u64,
    next_version: u64,
}

impl Ids {
    pub fn guid(&mut self) -> String {
        crate::sandbox::sample_data::uuid_v4(&mut self.rng)
    }

    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn next_version(&mut self) -> u64 {
        self.next_version += 1;
        self.next_version
    }

    pub fn random_range(&mut self, range: std::ops::Range<u64>) -> u64 {
        self.rng.random_range(range)
    }
}

/// A record of `set` with every property at its empty value.
pub fn blank(set: &EntitySet) -> Map<String, Value> {
    set.properties
        .iter()
        .map(|p| {
            let value = match p.kind {
                Kind::Text(_) => Value::String(String::new()),
                Kind::Choice(options) => {
                    Value::String(options.first().copied().unwrap_or("").into())
                }
                Kind::Decimal | Kind::Integer => Value::from(0),
                Kind::Boolean => Value::Bool(false),
                Kind::Date => Value::String("0001-01-01".into()),
                Kind::DateTime => Value::String("0001-01-01T00:00:00Z".into()),
                Kind::Guid => Value::String(NULL_GUID.into()),
            };
            (p.name.to_string(), value)
        })
        .collect()
}

pub const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";

pub fn decimal_of(value: Option<&Value>) -> Decimal {
    value
        .and_then(|v| match v {
            Value::Number(n) => n.to_string().parse().ok(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .unwrap_or_default()
}

/// A decimal as a JSON number, exactly (serde_json keeps arbitrary precision).
pub fn decimal_value(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::from(0))
}

/// Business Central writes `lastModifiedDateTime` with milliseconds and a `Z`.
pub fn format_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64(b"'1;"), "JzE7");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn etags_look_like_business_centrals_and_change_with_the_version() {
        let mut entity = Entity {
            seq: 3,
            version: 1,
            fields: Map::new(),
        };
        let first = entity.etag();
        assert!(first.starts_with("W/\"JzE"), "{first}");
        entity.version = 2;
        assert_ne!(entity.etag(), first);
    }
}
