//! The schemas connectors give the checker: what each source yields, what each map target
//! accepts, and which collection each sink writes.

use indexmap::IndexMap;

use super::types::Type;

/// A stream that records come from, such as `stripe.events` or `capsule.parties`.
#[derive(Clone, Debug)]
pub struct SourceSchema {
    /// `connection.stream`
    pub name: String,
    /// The type of one record.
    pub record: Type,
    /// For event streams: the record type of each event type (`charge.succeeded` -> an event
    /// whose `data.object` is a charge). `on "..."` narrows the record to these.
    pub events: IndexMap<String, Type>,
    /// The field holding the record's id, for cross references.
    pub id_field: String,
    /// What `fetch` and `fetch_all` may read of it while mapping.
    pub fetchable: Fetchable,
    /// Where each record's object sits, as a JSON pointer, for a source whose records wrap it
    /// (Stripe's events: `/data/object`). Cross-reference fields and `newest by` stamps are
    /// read there; `None`: the record is the object.
    pub object_at: Option<&'static str>,
}

/// How `fetch(collection, id)` and `fetch_all(collection, { ... })` may read a collection.
#[derive(Clone, Debug, Default)]
pub struct Fetchable {
    pub by_id: bool,
    /// The list parameters `fetch_all` accepts; empty when the collection cannot be listed.
    pub filters: Vec<String>,
}

/// A collection that records are written to, such as `stripe.customers`.
#[derive(Clone, Debug)]
pub struct SinkSchema {
    /// `connection.collection`
    pub name: String,
    /// The `map to` schema this sink writes, such as `stripe.customer`.
    pub accepts: String,
    /// The keys a record of this collection is known by, the id first: an ERP's customers may
    /// have an `id` (a GUID) and a `number`. The store keeps them all with each cross
    /// reference, so `xref(acme.customers.number, ...)` needs no API call.
    pub keys: Vec<RecordKey>,
}

/// One key of a collection's records, with the shape its values take.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordKey {
    pub name: String,
    pub shape: KeyShape,
}

impl RecordKey {
    pub fn new(name: impl Into<String>, shape: KeyShape) -> Self {
        RecordKey {
            name: name.into(),
            shape,
        }
    }
}

/// What every value of a key looks like, so that a test cannot hand in one the store would
/// never hold.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyShape {
    /// `6b1c0000-0000-0000-0000-0000000000c1`
    Guid,
    /// Stripe's ids: `cus_...`, `in_...`.
    Prefixed(&'static str),
    /// Capsule's ids: digits.
    Digits,
    /// Text of at most this many characters (Business Central's numbers hold 20).
    Text { max_length: usize },
}

impl KeyShape {
    /// `None` when `value` fits, else what it should look like.
    pub fn mismatch(&self, value: &str) -> Option<String> {
        let fits = match self {
            KeyShape::Guid => is_guid(value),
            KeyShape::Prefixed(prefix) => value.len() > prefix.len() && value.starts_with(prefix),
            KeyShape::Digits => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            KeyShape::Text { max_length } => {
                !value.is_empty() && value.chars().count() <= *max_length
            }
        };
        (!fits).then(|| self.to_string())
    }
}

impl std::fmt::Display for KeyShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyShape::Guid => f.write_str("a GUID such as 6b1c0000-0000-0000-0000-0000000000c1"),
            KeyShape::Prefixed(prefix) => write!(f, "an id starting with `{prefix}`"),
            KeyShape::Digits => f.write_str("a number in digits"),
            KeyShape::Text { max_length } => {
                write!(f, "text of 1 to {max_length} characters")
            }
        }
    }
}

fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The fields a `map to` block may set.
#[derive(Clone, Debug)]
pub struct TargetSchema {
    /// Such as `stripe.customer`.
    pub name: String,
    /// An object type whose `required` fields must be set.
    pub record: Type,
    /// Limits the system holds the `metadata` field to, when it has them.
    pub metadata_limits: Option<MetadataLimits>,
}

/// A metadata field's limits: how many keys, and how long a key and a value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetadataLimits {
    /// The system in messages (`Stripe allows at most 50`).
    pub system: &'static str,
    pub max_keys: usize,
    pub max_key_chars: usize,
    pub max_value_chars: usize,
    /// Characters a key may not hold (Stripe: square brackets).
    pub key_forbids: &'static [char],
}

#[derive(Clone, Debug, Default)]
pub struct SchemaRegistry {
    pub sources: IndexMap<String, SourceSchema>,
    pub sinks: IndexMap<String, SinkSchema>,
    pub targets: IndexMap<String, TargetSchema>,
    /// Sinks that can post what they write (`post`), and how; no other sink takes `post`.
    pub posting: IndexMap<String, Posting>,
}

/// What `post` on a sink does once a record's writes are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Posting {
    /// Each written document is posted on its own (a draft invoice becomes an open one).
    Document,
    /// The lines written for a record are posted together as a journal, once, and the ledger
    /// holds them together: posted all or none.
    Journal,
    /// The payment lines written for a record are posted together as a payment journal, once,
    /// and the ledger holds each on its own: a record's payments may be posted at different
    /// times (its refunds, as they are made).
    Payments,
}

impl SchemaRegistry {
    pub fn add_source(&mut self, source: SourceSchema) {
        self.sources.insert(source.name.clone(), source);
    }

    pub fn add_sink(&mut self, sink: SinkSchema) {
        self.sinks.insert(sink.name.clone(), sink);
    }

    pub fn add_target(&mut self, target: TargetSchema) {
        self.targets.insert(target.name.clone(), target);
    }

    /// The keys of `collection`'s records, the id first; empty when no sink writes it.
    pub fn keys(&self, collection: &str) -> &[RecordKey] {
        self.sinks
            .get(collection)
            .map(|sink| sink.keys.as_slice())
            .unwrap_or_default()
    }

    pub fn merge(&mut self, other: SchemaRegistry) {
        self.sources.extend(other.sources);
        self.sinks.extend(other.sinks);
        self.targets.extend(other.targets);
        self.posting.extend(other.posting);
    }
}
