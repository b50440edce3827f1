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
}

/// The fields a `map to` block may set.
#[derive(Clone, Debug)]
pub struct TargetSchema {
    /// Such as `stripe.customer`.
    pub name: String,
    /// An object type whose `required` fields must be set.
    pub record: Type,
    /// Stripe metadata limits apply to the `metadata` field.
    pub stripe_metadata: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SchemaRegistry {
    pub sources: IndexMap<String, SourceSchema>,
    pub sinks: IndexMap<String, SinkSchema>,
    pub targets: IndexMap<String, TargetSchema>,
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

    pub fn merge(&mut self, other: SchemaRegistry) {
        self.sources.extend(other.sources);
        self.sinks.extend(other.sinks);
        self.targets.extend(other.targets);
    }
}
