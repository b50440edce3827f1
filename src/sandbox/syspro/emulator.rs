//! How the sandbox serves Syspro: the e.net REST service under `/syspro`, failing in plain text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;

use super::{COMPANY_ID, OPERATOR, SysproConfig, SysproState};
use crate::sandbox::drift::{DriftPlan, Drifted};
use crate::sandbox::emulator::{Descriptor, Emulator, Mount, NoFlags, fresh_or_seeded};
use crate::sandbox::faults::status_text;
use crate::sandbox::{Sandbox, SandboxBuilder};

pub static EMULATOR: Descriptor = Descriptor::of::<SysproState>();

impl Emulator for SysproState {
    const NAME: &'static str = "syspro";
    type Config = SysproConfig;
    type Flags = NoFlags;

    fn config(_: NoFlags) -> SysproConfig {
        SysproConfig::default()
    }

    fn start(config: Option<SysproConfig>, seed: Option<u64>) -> Option<Self> {
        fresh_or_seeded(config, seed, SysproState::new, SysproState::seeded)
    }

    fn mounts(&self) -> Vec<Mount> {
        vec![Mount::new("/syspro", super::router(self.clone()))]
    }

    /// Syspro's service answers failures in plain text (unverified for injected statuses).
    fn error_response(status: StatusCode) -> Response {
        (status, status_text(status)).into_response()
    }

    fn banner(&self, base: &str) -> Vec<String> {
        vec![format!(
            "Syspro e.net       {base}/syspro/SYSPROWCFService/Rest   (operator {OPERATOR}, company {COMPANY_ID})"
        )]
    }

    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
        super::drift::drift(&mut self.data(), collection, plan, rng)
    }
}

impl SandboxBuilder {
    /// Starts the Syspro emulator with `config`.
    pub fn syspro(self, config: SysproConfig) -> Self {
        self.config::<SysproState>(config)
    }
}

impl Sandbox {
    /// The Syspro emulator's state, started with every sandbox.
    pub fn syspro(&self) -> Option<&SysproState> {
        self.state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_injected_fault_answers_in_plain_text() {
        let response = SysproState::error_response(StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"An internal error occurred.");
    }
}
