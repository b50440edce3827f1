//! The parser and the checker: any text ends in diagnostics or a checked program, never a
//! panic or a stack overflow; every diagnostic renders; a program without errors compiles.

use std::path::Path;

use ferry::diagnostics::render::{to_json, to_terminal};
use ferry::program::Program;

/// The fuzz target: the bytes as a pipeline file.
pub fn check(data: &[u8]) {
    never_panics(&String::from_utf8_lossy(data));
}

/// Loads `text` as a pipeline file, renders every diagnostic both ways and, when nothing is
/// an error, compiles every pipeline of the file.
pub fn never_panics(text: &str) {
    let program = Program::load_text(Path::new("fuzz/input.ferry"), text);
    for diagnostic in &program.diagnostics {
        let _ = to_terminal(diagnostic, &program.sources, false);
        let _ = to_json(diagnostic, &program.sources);
    }
    if !program.has_errors() {
        for name in program.pipeline_names() {
            let _ = program.compile(&name);
        }
    }
}
