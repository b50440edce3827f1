//! Syspro (e.net business objects through the SYSPRO 8 REST service): customers read and
//! written, sales orders imported, payments and credit notes posted to their invoices, general
//! ledger journals posted. The XML documents are templates under `templates/`.

pub mod client;
pub mod credit_notes;
pub mod currencies;
mod connector;
mod customers;
pub mod encoding;
mod find;
pub mod invoices;
pub mod items;
pub mod journals;
pub mod orders;
pub mod payments;
mod posted;
pub mod schema;
pub mod session;
mod values;
mod wire;
pub mod xml;

pub use client::SysproClient;
pub use connector::DESCRIPTOR;
pub use schema::schemas;
pub use session::Logon;
