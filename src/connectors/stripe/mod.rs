//! Stripe: schemas derived from Stripe's OpenAPI spec (API version 2022-04-12), and the
//! client that polls, finds and writes through Stripe's API v1, and its webhooks and their
//! signatures.

mod answer;
mod client;
mod connector;
mod convert;
pub mod form;
mod poll;
mod price_change;
mod related;
mod replay;
pub mod schema;
mod search;
pub mod signature;
mod table;
pub mod webhook;

use crate::check::SchemaRegistry;

pub use client::StripeClient;
pub use connector::DESCRIPTOR;
pub use convert::TableError;
pub use search::search_query;
pub use signature::{
    DEFAULT_TOLERANCE, SignatureError, SignatureHeader, Verified, parse_header, sign, verify,
};

/// Stripe's sources, targets and sinks. The table is compiled in and checked by the tests; were
/// it ever malformed, Stripe's schemas are left out and the reason is printed once.
pub fn schemas() -> SchemaRegistry {
    schema::registry().unwrap_or_else(|TableError(reason)| {
        eprintln!("ferry: Stripe schemas unavailable: {reason}");
        SchemaRegistry::default()
    })
}
