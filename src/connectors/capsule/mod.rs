//! Capsule CRM (API v2), and its REST hooks.

pub mod client;
mod connector;
mod cursor;
pub mod schema;
pub mod webhook;
mod wire;

pub use client::CapsuleClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
