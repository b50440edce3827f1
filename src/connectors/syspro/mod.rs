//! Syspro (e.net business objects).

pub mod schema;

pub use schema::schemas;
