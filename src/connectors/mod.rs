//! One folder per system, each plugged in through one trait ([`Client`], the client contract)
//! and one [`Descriptor`] (its settings, secrets, default URL, auth, rate limit, schemas,
//! whether it runs, and the webhooks it sends). [`CONNECTORS`] lists the descriptors; `schemas()` joins their schemas into
//! the registry the checker uses. `docs/connectors.md` tells how to add one.

pub mod build;
pub mod client;
pub mod connection;
pub mod connector;
pub mod descriptor;
pub mod http;
pub mod posting;
pub mod project_schema;
pub mod rate_limit;
pub mod record;
pub mod secret;
pub mod webhook;
pub mod webhook_subscription;

pub use client::Client;
pub use connection::{Auth, ResolvedConnection};
pub use connector::Connector;
pub use descriptor::{Descriptor, Kind};
pub use posting::{PostedDifference, PostedJournal, PostedLedger, PostingLine};
pub use rate_limit::RateLimit;
pub use record::{
    ConnectorError, MAX_RELATED, MatchKey, PollOptions, RejectedRecord, SourcePage, SourceRecord,
    TargetRecord, Write,
};
pub use secret::Secret;
pub use webhook::Webhooks;

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

#[cfg(test)]
mod tests {
    use super::descriptor::Runs;
    use super::*;

    #[test]
    fn only_files_are_local() {
        let local: Vec<&str> = CONNECTORS
            .iter()
            .filter(|d| d.local_files)
            .map(|d| d.name)
            .collect();
        assert_eq!(local, ["file"]);
        assert!(Descriptor::is_local_files("file"));
        assert!(!Descriptor::is_local_files("stripe"));
        assert!(!Descriptor::is_local_files("no_such_connection"));
    }

    #[test]
    fn each_kind_is_named_once() {
        let mut names = Descriptor::names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CONNECTORS.len());
    }

    #[test]
    fn secrets_are_settings_of_their_kind() {
        for connector in CONNECTORS {
            for secret in connector.secrets {
                assert!(
                    connector.keys().contains(secret),
                    "{}: `{secret}` is not a setting",
                    connector.name
                );
            }
        }
    }

    #[test]
    fn schemas_are_named_after_their_system() {
        for connector in CONNECTORS {
            let schemas = (connector.schemas)();
            let names = schemas
                .sources
                .keys()
                .chain(schemas.sinks.keys())
                .chain(schemas.targets.keys());
            for name in names {
                let system = name.split('.').next().unwrap_or_default();
                assert_eq!(system, connector.name, "{name}");
            }
            for sink in schemas.posting.keys() {
                assert!(
                    schemas.sinks.contains_key(sink),
                    "{sink} posts but is no sink"
                );
            }
        }
    }

    #[test]
    fn every_system_has_a_client() {
        let not_yet: Vec<&str> = CONNECTORS
            .iter()
            .filter(|c| matches!(c.runs, Runs::NotYet))
            .map(|c| c.name)
            .collect();
        assert!(not_yet.is_empty(), "{not_yet:?}");
    }
}
