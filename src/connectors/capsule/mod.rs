//! Capsule CRM (API v2): parties, opportunities, kases (projects), tasks and users, and its
//! REST hooks.

mod activity_schema;
pub mod client;
mod connector;
mod cursor;
pub mod custom_fields;
mod custom_schema;
pub mod custom_values;
pub mod entity;
mod listing;
mod related;
mod resthooks;
pub mod schema;
pub mod webhook;
mod wire;

pub use client::CapsuleClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
