use std::path::PathBuf;

use crate::functions::Registry;
use crate::syntax::ast::PipelineItem;

use super::exit;
use super::lint::{check_roots, pipeline_files};
use super::output::{outln, print_human};

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline files or folders (default: pipelines/).
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("pipelines")]
    } else {
        args.paths
    };
    let files = match pipeline_files(&paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::USAGE;
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    for program in check_roots(&files) {
        let file = program.path.display().to_string();
        if program.has_errors() {
            print_human(&program.diagnostics, &program.sources);
            outln!("{file}: does not check, so its tests cannot run ... FAILED");
            failed += 1;
            continue;
        }
        for pipeline in program.pipeline_asts() {
            let name = &pipeline.name.name;
            let compiled = match program.compile(name) {
                Ok(compiled) => compiled,
                Err(error) => {
                    if let crate::program::CompileError::Diagnostic(diagnostic) = &error {
                        print_human(std::slice::from_ref(diagnostic), &program.sources);
                    }
                    outln!("{file} {name}: {error} ... FAILED");
                    failed += 1;
                    continue;
                }
            };
            for item in &pipeline.items {
                let PipelineItem::Test(test) = item else {
                    continue;
                };
                let report = crate::lang::run_test(
                    &compiled,
                    test,
                    Registry::standard(),
                    &program.base_dir(),
                    program.schemas,
                );
                match report.result {
                    Ok(()) => {
                        passed += 1;
                        outln!("test {file} {name} \"{}\" ... ok", report.name);
                    }
                    Err(failure) => {
                        failed += 1;
                        outln!("test {file} {name} \"{}\" ... FAILED", report.name);
                        for line in failure.to_string().lines() {
                            outln!("    {line}");
                        }
                    }
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    if failed > 0 { exit::FAILED } else { exit::OK }
}
