//! Capsule CRM (API v2).

pub mod client;
mod connector;
mod cursor;
pub mod schema;
mod wire;

pub use client::CapsuleClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
