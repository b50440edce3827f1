//! `ferry schema [NAME]`: what a pipeline can read and write, from the connectors' schemas;
//! `ferry schema pull <connection>` ([`super::schema_pull`]) adds what an account has of its own.

use crate::check::listing;
use crate::connectors;

use super::exit;
use super::output::{out, outln};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    /// Every connection, as docs/schemas.md holds it.
    Markdown,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// A connection (`pronto`), a source or sink (`pronto.orders`) or a map target
    /// (`pronto.order`); without it, every connection and its collections.
    name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Read a connection's account-specific schema (Capsule's custom field definitions) from
    /// its API into `schemas/<connection>.json`, for `ferry lint` to check pipelines against.
    Pull(super::schema_pull::Args),
}

pub fn run(args: Args) -> u8 {
    if let Some(Action::Pull(pull)) = args.action {
        return super::schema_pull::run(pull);
    }
    if let Format::Markdown = args.format {
        // The reference of every account: nothing one project pulled.
        out!("{}", listing::markdown(connectors::schemas()));
        return exit::OK;
    }
    let registry = project_registry();
    let Some(name) = args.name else {
        let all: Vec<(String, Vec<String>)> = listing::connections(registry)
            .into_iter()
            .map(|connection| {
                let names = listing::collections(registry, &connection)
                    .into_iter()
                    .map(|c| format!("{} ({})", c.name, c.role))
                    .collect();
                (connection, names)
            })
            .collect();
        match args.format {
            Format::Json => outln!("{}", serde_json::json!(all
                .iter()
                .map(|(connection, names)| serde_json::json!({"connection": connection, "collections": names}))
                .collect::<Vec<_>>())),
            _ => {
                for (connection, names) in all {
                    outln!("{connection}");
                    for name in names {
                        outln!("  {name}");
                    }
                }
            }
        }
        return exit::OK;
    };
    let found = listing::collections(registry, &name);
    if found.is_empty() {
        let known = listing::connections(registry).join(", ");
        eprintln!(
            "error: no connection, collection or map target is named `{name}` (connections: {known})"
        );
        return exit::USAGE;
    }
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&found) {
            Ok(json) => outln!("{json}"),
            Err(error) => {
                eprintln!("error: {error}");
                return exit::USAGE;
            }
        },
        _ => {
            for (i, collection) in found.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                out!("{}", listing::text(collection));
            }
        }
    }
    exit::OK
}

/// The schemas of the project around the current folder, with what it pulled of its accounts
/// (`.custom` of Capsule records, say); the fixed ones outside a project.
fn project_registry() -> &'static crate::check::SchemaRegistry {
    let here = std::env::current_dir().unwrap_or_default();
    let Some(project) = crate::runtime::workspace::find_project_from(&here) else {
        return connectors::schemas();
    };
    let dir = project.parent().unwrap_or(&here);
    connectors::project_schema::registry_for(dir).unwrap_or_else(|problems| {
        for problem in problems {
            eprintln!("warning: {problem} (shown without it)");
        }
        connectors::schemas()
    })
}
