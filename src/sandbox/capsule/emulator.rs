//! How the sandbox serves Capsule: at `/capsule/api/v2`, with Capsule's error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{CapsuleConfig, CapsuleState, DEFAULT_TOKEN};
use crate::sandbox::emulator::{Descriptor, Emulator, Mount, fresh_or_seeded};
use crate::sandbox::faults::status_text;
use crate::sandbox::{Sandbox, SandboxBuilder};

pub static EMULATOR: Descriptor = Descriptor::of::<CapsuleState>();

/// Capsule's `ferry sandbox` flags.
#[derive(clap::Args, Debug)]
pub struct CapsuleFlags {
    /// People in the seeded Capsule account (with 500 organisations), for bigger runs.
    #[arg(long, default_value_t = 2_000, requires = "seed")]
    capsule_people: usize,
}

impl Emulator for CapsuleState {
    const NAME: &'static str = "capsule";
    type Config = CapsuleConfig;
    type Flags = CapsuleFlags;

    fn config(flags: CapsuleFlags) -> CapsuleConfig {
        CapsuleConfig {
            people: flags.capsule_people,
            ..CapsuleConfig::default()
        }
    }

    fn start(config: Option<CapsuleConfig>, seed: Option<u64>) -> Option<Self> {
        fresh_or_seeded(config, seed, CapsuleState::new, CapsuleState::seeded)
    }

    fn mounts(&self) -> Vec<Mount> {
        vec![Mount::new("/capsule/api/v2", super::router(self.clone()))]
    }

    fn error_response(status: StatusCode) -> Response {
        let body = match status {
            StatusCode::TOO_MANY_REQUESTS => json!({"error": "rate limit reached"}),
            _ => json!({"message": status_text(status)}),
        };
        (status, axum::Json(body)).into_response()
    }

    fn banner(&self, base: &str) -> Vec<String> {
        let token = self.inner.config.tokens.first().map_or(DEFAULT_TOKEN, String::as_str);
        vec![format!(
            "Capsule CRM        {base}/capsule/api/v2     (token {token})"
        )]
    }
}

impl SandboxBuilder {
    /// Starts the Capsule emulator with `config`.
    pub fn capsule(self, config: CapsuleConfig) -> Self {
        self.config::<CapsuleState>(config)
    }
}

impl Sandbox {
    /// The Capsule emulator's state, started with every sandbox.
    pub fn capsule(&self) -> Option<&CapsuleState> {
        self.state()
    }
}
