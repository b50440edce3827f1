//! `ferry schema pull <connection>`: reads what the project types of a connection's account
//! (Capsule's custom field definitions) from its API and writes `schemas/<connection>.json`,
//! which `ferry lint` then checks pipelines against offline.

use std::path::PathBuf;

use crate::connectors::project_schema;
use crate::runtime::workspace::Workspace;

use super::exit;
use super::output::outln;
use super::run::report_setup_error;

#[derive(clap::Args)]
pub struct Args {
    /// The connection of `ferry.yaml` (`capsule`).
    connection: String,
    /// The ferry.yaml environment to read from (default: the file's `default_environment`).
    #[arg(long)]
    env: Option<String>,
    /// The project file (default: the nearest ferry.yaml from here up).
    #[arg(long)]
    project: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let workspace = match Workspace::open(args.project.as_deref(), args.env.as_deref()) {
        Ok(workspace) => workspace,
        Err(error) => return report_setup_error(error),
    };
    let Some(connection) = workspace.environment.connection(&args.connection) else {
        let known: Vec<&str> = workspace
            .environment
            .connections
            .keys()
            .map(String::as_str)
            .collect();
        eprintln!(
            "error: ferry.yaml has no connection `{}` (it has: {})",
            args.connection,
            known.join(", ")
        );
        return exit::USAGE;
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return exit::FAILED;
        }
    };
    let pulled = match runtime.block_on(project_schema::pull(connection)) {
        Ok(pulled) => pulled,
        Err(error) => {
            eprintln!("error: {}: {error}", args.connection);
            return exit::FAILED;
        }
    };
    let path = project_schema::file_of(&workspace.dir, &args.connection);
    let written = serde_json::to_string_pretty(&pulled)
        .map_err(|error| error.to_string())
        .and_then(|text| {
            let folder = workspace.dir.join(project_schema::FOLDER);
            std::fs::create_dir_all(&folder).map_err(|error| error.to_string())?;
            std::fs::write(&path, format!("{text}\n")).map_err(|error| error.to_string())
        });
    match written {
        Ok(()) => {
            outln!(
                "wrote {} (from {}, environment {}); lint the pipelines against it: ferry lint pipelines/",
                path.display(),
                args.connection,
                workspace.environment.name
            );
            exit::OK
        }
        Err(error) => {
            eprintln!("error: {}: {error}", path.display());
            exit::FAILED
        }
    }
}
