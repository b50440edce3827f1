//! One folder per system, each plugged in through one trait ([`Client`], the client contract)
//! and one [`Descriptor`] (its settings, secrets, default URL, auth, rate limit, schemas and
//! whether it runs). [`CONNECTORS`] lists the descriptors; `schemas()` joins their schemas into
//! the registry the checker uses. `docs/connectors.md` tells how to add one.

pub mod build;
pub mod client;
pub mod connection;
pub mod connector;
pub mod descriptor;
pub mod http;
pub mod rate_limit;
pub mod record;
pub mod secret;

pub use client::Client;
pub use connection::{Auth, ResolvedConnection};
pub use connector::Connector;
pub use descriptor::{Descriptor, Kind};
pub use rate_limit::RateLimit;
pub use record::{
    ConnectorError, MAX_RELATED, MatchKey, PollOptions, RejectedRecord, SourcePage, SourceRecord,
    TargetRecord, Write,
};
pub use secret::Secret;

use std::sync::OnceLock;

use crate::check::SchemaRegistry;

/// Declares each system's folder and lists its `DESCRIPTOR` in [`CONNECTORS`].
macro_rules! connectors {
    ($($system:ident),* $(,)?) => {
        $(pub mod $system;)*

        /// Every system ferry connects to, in the order `ferry.yaml`'s docs list them.
        pub static CONNECTORS: &[&Descriptor] = &[$(&$system::DESCRIPTOR),*];
    };
}

// Adding a connector: its folder, and its name here.
connectors![stripe, capsule, business_central, syspro, pronto, files];

/// Every source, map target and sink ferry knows, built once.
pub fn schemas() -> &'static SchemaRegistry {
    static REGISTRY: OnceLock<SchemaRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = SchemaRegistry::default();
        for connector in CONNECTORS {
            registry.merge((connector.schemas)());
        }
        registry
    })
}
