use std::process::ExitCode;

/// glibc's allocator spent about a third of a sync's instructions on the many short-lived,
/// mixed-size allocations of concurrent requests; jemalloc takes a fraction (docs/benchmarks.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
