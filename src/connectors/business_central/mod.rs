//! Microsoft Dynamics 365 Business Central (API v2.0).

pub mod client;
mod connector;
mod cursor;
mod journal;
mod lines;
mod posting;
pub mod odata;
pub mod schema;
mod wire;

pub use client::BusinessCentralClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
