use std::net::SocketAddr;

use crate::sandbox::{EmulatorFlags, FaultSpec, Sandbox};

use super::exit;

mod drift;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
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
    #[command(flatten)]
    emulators: EmulatorFlags,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Change, delete and add records of a running sandbox's collection behind ferry's back,
    /// and record what was done (for checking `ferry reconcile`).
    Drift(drift::Args),
}

pub fn run(args: Args) -> u8 {
    if let Some(Command::Drift(drift)) = args.command {
        return drift::run(drift);
    }
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
            .flags(args.emulators)
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
        eprintln!("The project file's `sandbox` environment points here. Stop with Ctrl-C.");
        super::signals::stop_requested().await;
        let _ = handle.shutdown().await;
        exit::OK
    })
}
