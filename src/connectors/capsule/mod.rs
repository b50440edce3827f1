//! Capsule CRM (API v2).

pub mod schema;

pub use schema::schemas;
