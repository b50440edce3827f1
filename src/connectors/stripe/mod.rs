//! Stripe: schemas derived from Stripe's OpenAPI spec (API version 2022-04-12).

mod convert;
pub mod schema;
mod table;

use crate::check::SchemaRegistry;

pub use convert::TableError;

/// Stripe's sources, targets and sinks. The table is compiled in and checked by the tests; were
/// it ever malformed, Stripe's schemas are left out and the reason is printed once.
pub fn schemas() -> SchemaRegistry {
    schema::registry().unwrap_or_else(|TableError(reason)| {
        eprintln!("ferry: Stripe schemas unavailable: {reason}");
        SchemaRegistry::default()
    })
}
