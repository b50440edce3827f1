//! How the sandbox serves Pronto: at `/pronto`, with Pronto's error body for injected faults.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{ProntoConfig, ProntoState, error};
use rand::rngs::StdRng;

use crate::sandbox::drift::{DriftPlan, Drifted};
use crate::sandbox::emulator::{Descriptor, Emulator, Mount, fresh_or_seeded};
use crate::sandbox::faults::status_text;
use crate::sandbox::{Sandbox, SandboxBuilder};

pub static EMULATOR: Descriptor = Descriptor::of::<ProntoState>();

/// Pronto's `ferry sandbox` flags.
#[derive(clap::Args, Debug)]
pub struct ProntoFlags {
    /// Pronto's limit in calls per rolling minute (30, as Pronto Avenue's own); 0 turns it off.
    #[arg(long, default_value_t = 30)]
    pronto_rate_limit: u32,
    /// Debtors in the seeded Pronto tenant.
    #[arg(long, default_value_t = super::seed::DEBTORS, requires = "seed")]
    pronto_debtors: usize,
    /// Products in the seeded Pronto tenant.
    #[arg(long, default_value_t = super::seed::PRODUCTS, requires = "seed")]
    pronto_products: usize,
    /// Orders in the seeded Pronto tenant.
    #[arg(long, default_value_t = super::seed::ORDERS, requires = "seed")]
    pronto_orders: usize,
}

impl Emulator for ProntoState {
    const NAME: &'static str = "pronto";
    type Config = ProntoConfig;
    type Flags = ProntoFlags;

    fn config(flags: ProntoFlags) -> ProntoConfig {
        ProntoConfig {
            requests_per_minute: flags.pronto_rate_limit,
            debtors: flags.pronto_debtors,
            products: flags.pronto_products,
            orders: flags.pronto_orders,
            ..ProntoConfig::default()
        }
    }

    fn start(config: Option<ProntoConfig>, seed: Option<u64>) -> Option<Self> {
        fresh_or_seeded(config, seed, ProntoState::new, ProntoState::seeded)
    }

    fn mounts(&self) -> Vec<Mount> {
        vec![Mount::new("/pronto", super::router(self.clone()))]
    }

    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
        self.drift_orders(collection, plan, rng)
    }

    fn error_response(status: StatusCode) -> Response {
        let backtrace: &[&str] = match status {
            StatusCode::INTERNAL_SERVER_ERROR => {
                &["app/controllers/api/base_controller.rb:41:in `rescue_from_error'"]
            }
            _ => &[],
        };
        (
            status,
            axum::Json(error::body(status_text(status), backtrace)),
        )
            .into_response()
    }

    fn banner(&self, base: &str) -> Vec<String> {
        let config = self.config();
        vec![format!(
            "Pronto Avenue      {base}/pronto             (Basic {} / {})",
            config.username, config.password
        )]
    }
}

impl SandboxBuilder {
    /// Starts the Pronto emulator with `config`.
    pub fn pronto(self, config: ProntoConfig) -> Self {
        self.config::<ProntoState>(config)
    }
}

impl Sandbox {
    /// The Pronto emulator's state, started with every sandbox.
    pub fn pronto(&self) -> Option<&ProntoState> {
        self.state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_reach_the_config_and_the_banner_names_the_credentials() {
        let config = <ProntoState as Emulator>::config(ProntoFlags {
            pronto_rate_limit: 5,
            pronto_debtors: 40,
            pronto_products: 3,
            pronto_orders: 2,
        });
        assert_eq!(config.requests_per_minute, 5);
        let state = ProntoState::seeded(config, 1);
        let counts = (state.debtors().len(), state.products().len(), state.orders().len());
        assert_eq!(counts, (40, 3, 2));
        assert_eq!(
            Emulator::banner(&state, "http://127.0.0.1:4010"),
            ["Pronto Avenue      http://127.0.0.1:4010/pronto             (Basic ferry-sandbox@example.com / pronto-sandbox-password)"]
        );
    }
}
