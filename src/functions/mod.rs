//! The standard library: one file per family, each function a [`FunctionSpec`].

mod address;
mod arguments;
mod collections;
mod contact;
mod control;
mod conversion;
mod crossref;
mod currency;
mod fetch;
mod hash;
mod money;
mod params;
mod phone;
pub mod reference;
pub mod registry;
pub mod spec;
mod testing;
mod text;
mod time;

pub use conversion::text_form;
pub use currency::{WireRule, wire_rule};
pub use registry::Registry;
pub use spec::{Example, FunctionSpec, default_value, parse_default};
