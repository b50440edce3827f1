//! One folder per system. Each exports the schemas it gives the checker; `schemas()` joins
//! them into the registry the checker uses.

pub mod connection;
pub mod connector;
pub mod http;
pub mod record;

pub use connector::Connector;
pub use record::{
    ConnectorError, MAX_RELATED, MatchKey, PollOptions, RejectedRecord, SourcePage, SourceRecord,
    TargetRecord, Write,
};

use std::sync::OnceLock;

use crate::check::SchemaRegistry;

pub mod build;
pub mod business_central;
pub mod capsule;
pub mod files;
pub mod pronto;
pub mod stripe;
pub mod syspro;

/// Every source, map target and sink ferry knows, built once.
pub fn schemas() -> &'static SchemaRegistry {
    static REGISTRY: OnceLock<SchemaRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = SchemaRegistry::default();
        registry.merge(stripe::schemas());
        registry.merge(capsule::schemas());
        registry.merge(business_central::schemas());
        registry.merge(syspro::schemas());
        registry.merge(pronto::schemas());
        registry.merge(files::schemas());
        registry
    })
}
