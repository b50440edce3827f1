//! ferry keeps Stripe in step with the CRMs and ERPs a business runs.
//!
//! Data flows one way: `syntax` -> `check` -> `lang` -> `functions` -> `connectors`.

pub mod check;
pub mod cli;
pub mod connectors;
pub mod diagnostics;
pub mod formats;
pub mod functions;
pub mod lang;
pub mod program;
pub mod syntax;
