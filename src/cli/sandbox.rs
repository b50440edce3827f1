use std::net::SocketAddr;

use crate::sandbox::business_central::BusinessCentralConfig;
use crate::sandbox::capsule::CapsuleConfig;
use crate::sandbox::stripe::{StripeOptions, StripeState, WebhookEndpoint};
use crate::sandbox::{FaultSpec, Sandbox};

use super::exit;

#[derive(clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (ferry.yaml's sandbox environment uses 4010).
    #[arg(long, default_value_t = 4010)]
    port: u16,
    /// Fill the emulators with realistic data, the same for the same seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Inject faults, e.g. `500=0.2,503=0.05,429=0.05,drop=0.02,lost=0.01,slow=0.01:2s,seed=7`
    /// (`lost`: the request is carried out, then the connection cut before the answer).
    #[arg(long)]
    faults: Option<String>,
    /// Stripe's test-mode limit in requests per second per key; 0 turns it off.
    #[arg(long, default_value_t = 25)]
    stripe_rate_limit: u32,
    /// Business Central's limit in requests per five minutes per token (6,000, as Business
    /// Central's own); 0 turns it off.
    #[arg(long, default_value_t = 6_000)]
    business_central_rate_limit: u32,
    /// Send Stripe's events to this URL as signed webhooks: `URL[,secret=whsec_...]`
    /// `[,events=charge.*;customer.created]`. The secret defaults to `whsec_sandbox`, which
    /// ferry.yaml's sandbox environment expects. Repeatable.
    #[arg(long = "webhook", value_name = "URL[,secret=...]", value_parser = WebhookEndpoint::parse)]
    webhooks: Vec<WebhookEndpoint>,
    /// People in the seeded Capsule account (with 500 organisations), for bigger runs.
    #[arg(long, default_value_t = 2_000, requires = "seed")]
    capsule_people: usize,
}

pub fn run(args: Args) -> u8 {
    let faults = match args
        .faults
        .as_deref()
        .map(str::parse::<FaultSpec>)
        .transpose()
    {
        Ok(faults) => faults,
        Err(error) => {
            eprintln!("error: --faults: {error}");
            return exit::USAGE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return exit::USAGE;
        }
    };
    runtime.block_on(async move {
        let sandbox = Sandbox::builder()
            .seed(args.seed)
            .faults(faults)
            .business_central(BusinessCentralConfig {
                rate_limit: match args.business_central_rate_limit {
                    0 => u32::MAX,
                    limit => limit,
                },
                ..BusinessCentralConfig::default()
            })
            .capsule(CapsuleConfig {
                people: args.capsule_people,
                ..CapsuleConfig::default()
            })
            .config::<StripeState>(StripeOptions {
                rate_limit: (args.stripe_rate_limit > 0).then_some(args.stripe_rate_limit),
                webhooks: args.webhooks.clone(),
                ..StripeOptions::default()
            })
            .build();
        let address = SocketAddr::from(([127, 0, 0, 1], args.port));
        let emulators = sandbox.clone();
        let handle = match sandbox.serve(address).await {
            Ok(handle) => handle,
            Err(error) => {
                eprintln!("error: cannot listen on {address}: {error}");
                return exit::USAGE;
            }
        };
        let base = handle.base_url();
        eprintln!("ferry sandbox listening on {base}");
        for line in emulators.banner(&base) {
            eprintln!("  {line}");
        }
        for endpoint in &args.webhooks {
            eprintln!("  Stripe webhooks -> {}", endpoint.url);
        }
        eprintln!("The project file's `sandbox` environment points here. Stop with Ctrl-C.");
        super::signals::stop_requested().await;
        let _ = handle.shutdown().await;
        exit::OK
    })
}
