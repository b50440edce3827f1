//! Local files: CSV and JSON Lines.

pub mod schema;

pub use schema::schemas;
