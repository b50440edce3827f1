use std::process::ExitCode;

/// Parsing, checking and evaluating recurse over the syntax tree; the nesting limits keep
/// that bounded, and a generous stack keeps the bound far from the edge.
const STACK_BYTES: usize = 256 << 20;

fn main() -> ExitCode {
    let worker = std::thread::Builder::new()
        .name("ferry".into())
        .stack_size(STACK_BYTES)
        .spawn(ferry::cli::main);
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: ferry stopped unexpectedly; this is a bug, please report it");
            ExitCode::from(70)
        }
    }
}
