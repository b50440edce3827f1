//! Microsoft Dynamics 365 Business Central (API v2.0).

mod lines;
pub mod schema;

pub use schema::schemas;
