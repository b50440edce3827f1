use crate::diagnostics::{Code, render};

use super::exit;
use super::output::{out, outln};

#[derive(clap::Args)]
pub struct Args {
    /// A code such as E0302 or W0004.
    code: Option<String>,
    /// Print every code as Markdown (the source of docs/errors.md).
    #[arg(long, conflicts_with = "code")]
    all: bool,
    /// Print the standard-library reference as Markdown (the source of docs/functions.md).
    #[arg(long, conflicts_with_all = ["code", "all"])]
    functions: bool,
}

pub fn run(args: Args) -> u8 {
    if args.functions {
        out!(
            "{}",
            crate::functions::reference::markdown(crate::functions::Registry::standard())
        );
        return exit::OK;
    }
    if args.all {
        out!("{}", render::errors_markdown());
        return exit::OK;
    }
    let Some(text) = args.code else {
        eprintln!("error: give a code, such as `ferry explain E0302`, or `--all`");
        return exit::USAGE;
    };
    match Code::parse(&text) {
        Some(code) => {
            outln!(
                "{}: {}\n\n{}",
                code.as_str(),
                code.title(),
                code.explanation()
            );
            exit::OK
        }
        None => {
            eprintln!(
                "error: `{text}` is not a ferry diagnostic code (they look like E0201 or W0004)"
            );
            exit::USAGE
        }
    }
}
