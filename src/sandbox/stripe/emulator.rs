//! How the sandbox serves Stripe: at `/stripe`, with Stripe's error bodies. Unlike the other
//! emulators, Stripe's is left out unless the caller asks for it (with its options or its
//! state): seeding it is costly, and callers keep its state to add webhook endpoints.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use serde_json::json;

use super::{StripeOptions, StripeState, WebhookEndpoint};
use crate::sandbox::drift::{DriftPlan, Drifted};
use crate::sandbox::emulator::{Descriptor, Emulator, Mount};
use crate::sandbox::faults::status_text;
use crate::sandbox::{Sandbox, SandboxBuilder};

pub static EMULATOR: Descriptor = Descriptor::of::<StripeState>();

/// Stripe's `ferry sandbox` flags.
#[derive(clap::Args, Debug)]
pub struct StripeFlags {
    /// Stripe's test-mode limit in requests per second per key; 0 turns it off.
    #[arg(long, default_value_t = 25)]
    stripe_rate_limit: u32,
    /// Send Stripe's events to this URL as signed webhooks: `URL[,secret=whsec_...]`
    /// `[,events=charge.*;customer.created]`. The secret defaults to `whsec_sandbox`, which
    /// ferry.yaml's sandbox environment expects. Repeatable.
    #[arg(long = "webhook", value_name = "URL[,secret=...]", value_parser = WebhookEndpoint::parse)]
    webhooks: Vec<WebhookEndpoint>,
}

impl Emulator for StripeState {
    const NAME: &'static str = "stripe";
    type Config = StripeOptions;
    type Flags = StripeFlags;

    /// `ferry sandbox` always serves Stripe.
    fn config(flags: StripeFlags) -> StripeOptions {
        StripeOptions {
            rate_limit: (flags.stripe_rate_limit > 0).then_some(flags.stripe_rate_limit),
            webhooks: flags.webhooks,
            ..StripeOptions::default()
        }
    }

    fn start(options: Option<StripeOptions>, seed: Option<u64>) -> Option<Self> {
        let options = options?;
        Some(StripeState::new(StripeOptions {
            seed: options.seed.or(seed),
            ..options
        }))
    }

    fn mounts(&self) -> Vec<Mount> {
        vec![Mount::new("/stripe", super::router(self.clone()))]
    }

    fn error_response(status: StatusCode) -> Response {
        let body = match status {
            StatusCode::TOO_MANY_REQUESTS => json!({"error": {
                "type": "invalid_request_error",
                "code": "rate_limit",
                "message": "Too many requests hit the API too quickly.",
            }}),
            _ => json!({"error": {
                "type": "api_error",
                "message": status_text(status),
            }}),
        };
        (status, axum::Json(body)).into_response()
    }

    fn banner(&self, base: &str) -> Vec<String> {
        let endpoints = self.shared.options.webhooks.iter();
        std::iter::once(format!(
            "Stripe             {base}/stripe/v1          (any sk_test_ key)"
        ))
        .chain(endpoints.map(|endpoint| format!("Stripe webhooks -> {}", endpoint.url)))
        .collect()
    }

    fn drift(&self, collection: &str, plan: &DriftPlan, rng: &mut StdRng) -> Drifted {
        self.drift_objects(collection, plan, rng)
    }
}

impl SandboxBuilder {
    /// Mounts the Stripe emulator with `state`, which the caller keeps to inspect it.
    pub fn stripe(self, state: StripeState) -> Self {
        self.state(state)
    }
}

impl Sandbox {
    /// The Stripe emulator's state, if the sandbox was asked to serve Stripe.
    pub fn stripe(&self) -> Option<&StripeState> {
        self.state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(status: StatusCode) -> serde_json::Value {
        let response = StripeState::error_response(status);
        assert_eq!(response.status(), status);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn an_injected_fault_answers_in_stripes_error_shape() {
        let limited = body(StatusCode::TOO_MANY_REQUESTS).await;
        assert_eq!(limited["error"]["code"], "rate_limit");
        assert_eq!(limited["error"]["type"], "invalid_request_error");
        let failed = body(StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(failed["error"]["type"], "api_error");
        assert_eq!(
            failed["error"]["message"],
            "The service is temporarily unavailable."
        );
    }
}
