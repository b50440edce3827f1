//! Capsule CRM (API v2).

pub mod client;
mod cursor;
pub mod schema;
mod wire;

pub use client::CapsuleClient;
pub use schema::schemas;
