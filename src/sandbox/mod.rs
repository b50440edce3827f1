//! Local emulators of each system's API, for tests, demos and dry runs.
//!
//! Each system is an axum router with relative routes; [`server::Sandbox`] mounts them under one
//! loopback address (Stripe at `/stripe`, Capsule at `/capsule/api/v2`, Business Central at
//! `/business_central/v2.0/{tenant}/{environment}/api/v2.0`, its token endpoint at
//! `/oauth/{tenant}/oauth2/v2.0/token`, Syspro's e.net REST service at
//! `/syspro/SYSPROWCFService/Rest`) behind the fault injector.

pub mod business_central;
pub mod capsule;
pub mod connection;
pub mod faults;
pub mod rate_window;
pub mod sample_data;
pub mod server;
pub mod stripe;
pub mod syspro;

pub use faults::{FaultSpec, FaultSpecError, System};
pub use server::{Sandbox, SandboxBuilder, SandboxHandle};
