//! Local emulators of each system's API, for tests, demos and dry runs.
//!
//! Each system is a folder that implements [`emulator::Emulator`] (its routers and where they
//! are mounted, its state, fresh or seeded, its error body for an injected fault, its
//! `ferry sandbox` flags and banner lines) and is listed once in `emulators![...]` below.
//! [`server::Sandbox`] mounts every listed emulator under one loopback address behind the fault
//! injector, and serves seeded drift (`drift.rs`) at `/_sandbox/drift`.

pub mod connection;
pub mod credentials;
pub mod drift;
pub mod emulator;
pub mod faults;
pub mod flags;
pub mod rate_window;
pub mod sample_data;
pub mod server;

use emulator::Descriptor;

/// Declares each emulator's module and lists its `EMULATOR` in [`EMULATORS`].
macro_rules! emulators {
    ($($system:ident),* $(,)?) => {
        $(pub mod $system;)*

        /// Every emulator the sandbox serves, in the order its banner lists them.
        pub static EMULATORS: &[&Descriptor] = &[$(&$system::EMULATOR),*];
    };
}

// Adding an emulator: its folder, and its name here.
emulators![stripe, capsule, business_central, syspro, pronto];

pub use drift::{DriftAction, DriftError, DriftKind, DriftPlan, DriftRecord, DriftRequest};
pub use emulator::Emulator;
pub use faults::{FaultSpec, FaultSpecError};
pub use flags::EmulatorFlags;
pub use server::{Sandbox, SandboxBuilder, SandboxHandle};

#[cfg(test)]
mod tests {
    use super::EMULATORS;
    use crate::connectors::CONNECTORS;

    #[test]
    fn each_emulator_stands_in_for_one_registered_connector() {
        for (i, emulator) in EMULATORS.iter().enumerate() {
            assert!(
                CONNECTORS.iter().any(|c| c.name == emulator.name),
                "{} is no connector's kind",
                emulator.name
            );
            assert!(
                EMULATORS[..i].iter().all(|e| e.name != emulator.name),
                "{} is registered twice",
                emulator.name
            );
        }
    }
}
