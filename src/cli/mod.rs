//! The command line: one file per command. Commands parse arguments, call the library and
//! render the result; they hold no logic of their own.

mod alerts;
#[cfg(feature = "sandbox")]
mod demo;
mod dlq;
mod explain;
mod hooks;
mod lint;
mod logging;
mod map;
mod output;
mod reconcile;
mod run;
#[cfg(feature = "sandbox")]
mod sandbox;
mod schema;
mod schema_pull;
mod serve;
mod signals;
mod store;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by every command.
pub mod exit {
    /// Clean.
    pub const OK: u8 = 0;
    /// The input has errors (or warnings under `--deny-warnings`), a test failed, or a record
    /// failed.
    pub const FAILED: u8 = 1;
    /// Usage or I/O errors: a path that does not exist, an unreadable input.
    pub const USAGE: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "Keep Stripe in step with the CRMs and ERPs a business runs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the sandbox and run the Capsule -> Stripe customer pipeline against it.
    #[cfg(feature = "sandbox")]
    Demo(demo::Args),
    /// Check pipeline files against the APIs' schemas, before anything runs.
    Lint(lint::Args),
    /// Run a pipeline's filter and map over JSON lines, with no network.
    Map(map::Args),
    /// Run the test blocks written in pipeline files.
    Test(test::Args),
    /// Explain a diagnostic code, with an example and the fix.
    Explain(explain::Args),
    /// List the connections' sources, map targets and sinks, with their fields.
    Schema(schema::Args),
    /// Carry pipelines against the APIs: poll, map, upsert, record.
    Run(run::Args),
    /// Compare record-sync pipelines' sources with their targets; report mismatches.
    Reconcile(reconcile::Args),
    /// List, show, replay and discard the dead-letter queue.
    Dlq(dlq::Args),
    /// Send a test alert through every channel, or list the alerts sent.
    Alerts(alerts::Args),
    /// Receive webhooks and process them: the always-on half of ferry.
    Serve(serve::Args),
    /// Move the store to another database: `ferry store migrate --to postgres://...`.
    Store(store::Args),
    /// List, subscribe or unsubscribe the webhook subscriptions ferry manages (Capsule's REST
    /// hooks).
    Hooks(hooks::Args),
    /// Start local emulators of Stripe, Capsule CRM and Business Central.
    #[cfg(feature = "sandbox")]
    Sandbox(sandbox::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => demo::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Map(args) => map::run(args),
        Command::Test(args) => test::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Run(args) => run::run(args),
        Command::Reconcile(args) => reconcile::run(args),
        Command::Dlq(args) => dlq::run(args),
        Command::Alerts(args) => alerts::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Hooks(args) => hooks::run(args),
        Command::Store(args) => store::run(args),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(args),
    };
    ExitCode::from(code)
}
