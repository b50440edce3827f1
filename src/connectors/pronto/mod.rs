//! Pronto Xi (through its e-commerce REST endpoints).

pub mod schema;

pub use schema::schemas;
