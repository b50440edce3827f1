//! How the sandbox serves Business Central: the API at `/business_central`, its token endpoint at
//! `/oauth`, with Business Central's error bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use serde_json::json;

use super::{BusinessCentralConfig, BusinessCentralState, COMPANY_ID, error};
use crate::sandbox::drift::{DriftPlan, Drifted};
use crate::sandbox::emulator::{Descriptor, Emulator, Mount, fresh_or_seeded};
use crate::sandbox::faults::status_text;
use crate::sandbox::{Sandbox, SandboxBuilder};

pub static EMULATOR: Descriptor = Descriptor::of::<BusinessCentralState>();

/// Business Central's `ferry sandbox` flags.
#[derive(clap::Args, Debug)]
pub struct BusinessCentralFlags {
    /// Business Central's limit in requests per five minutes per token (6,000, as Business
    /// Central's own); 0 turns it off.
    #[arg(long, default_value_t = 6_000)]
    business_central_rate_limit: u32,
}

impl Emulator for BusinessCentralState {
    const NAME: &'static str = "business_central";
    type Config = BusinessCentralConfig;
    type Flags = BusinessCentralFlags;

    fn config(flags: BusinessCentralFlags) -> BusinessCentralConfig {
        BusinessCentralConfig {
            rate_limit: match flags.business_central_rate_limit {
                0 => u32::MAX,
                limit => limit,
            },
            ..BusinessCentralConfig::default()
        }
    }

    fn start(config: Option<BusinessCentralConfig>, seed: Option<u64>) -> Option<Self> {
        fresh_or_seeded(config, seed, BusinessCentralState::new, BusinessCentralState::seeded)
    }

    fn mounts(&self) -> Vec<Mount> {
        vec![
            Mount::new("/business_central", super::router(self.clone())),
            Mount::new("/oauth", super::token_router(self.clone())),
        ]
    }

    fn error_response(status: StatusCode) -> Response {
        let code = match status {
            StatusCode::TOO_MANY_REQUESTS => error::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
            _ => "InternalServerError",
        };
        let body = json!({"error": {"code": code, "message": status_text(status)}});
        (status, axum::Json(body)).into_response()
    }

    fn banner(&self, base: &str) -> Vec<String> {
        let config = self.config();
        let (tenant, environment) = (&config.tenant, &config.environment);
        vec![
            format!(
                "Business Central   {base}/business_central/v2.0/{tenant}/{environment}/api/v2.0/companies({COMPANY_ID})"
            ),
            format!("OAuth token        {base}/oauth/{tenant}/oauth2/v2.0/token"),
        ]
    }

    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
        super::drift::drift(&mut self.data(), collection, plan, rng)
    }
}

impl SandboxBuilder {
    /// Starts the Business Central emulator with `config`.
    pub fn business_central(self, config: BusinessCentralConfig) -> Self {
        self.config::<BusinessCentralState>(config)
    }
}

impl Sandbox {
    /// The Business Central emulator's state, started with every sandbox.
    pub fn business_central(&self) -> Option<&BusinessCentralState> {
        self.state()
    }
}
