//! Pronto Xi through its Avenue REST API (`/api/json/<code>/<version>.json`): debtors, products
//! with their prices and stock, categories and orders as sources; orders written through the
//! asynchronous order/v6. The facts, and how sure each is, are in
//! shared/reference/apis-wave2.md §1.1.

pub mod client;
mod connector;
mod cursor;
mod endpoints;
mod normalize;
mod orders;
pub mod schema;
mod wire;

pub use client::ProntoClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
