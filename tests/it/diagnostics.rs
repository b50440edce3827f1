//! Golden tests: each file in tests/diagnostics/ is a bad program whose first line names the
//! code it must produce (`// expect: E0201`); the rendered diagnostics are insta snapshots.

use std::path::{Path, PathBuf};

use ferry::diagnostics::render;
use ferry::program::Program;

fn render_all(program: &Program) -> String {
    let mut out = String::new();
    for diagnostic in &program.diagnostics {
        out.push_str(&render::to_terminal(diagnostic, &program.sources, false));
    }
    out
}

fn expected_code(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or_default();
    first
        .strip_prefix("// expect: ")
        .unwrap_or_else(|| panic!("{} must start with `// expect: CODE`", path.display()))
        .trim()
        .to_string()
}

fn bad_programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ferry"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bad_program_reports_its_code_and_matches_its_snapshot() {
    let files = bad_programs();
    assert!(files.len() >= 40, "only {} bad programs", files.len());
    let mut missing = Vec::new();
    for path in &files {
        let code = expected_code(path);
        // Paths relative to the package root (Cargo's working directory for tests) keep
        // snapshots independent of the checkout's location.
        let relative = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_path_buf();
        let program = Program::load(&relative);
        if !program.diagnostics.iter().any(|d| d.code.as_str() == code) {
            let got: Vec<&str> = program
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect();
            missing.push(format!(
                "{}: expected {code}, got {got:?}",
                relative.display()
            ));
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, render_all(&program));
    }
    assert!(
        missing.is_empty(),
        "codes not reported:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_compile_time_code_has_a_bad_program() {
    let covered: Vec<String> = bad_programs().iter().map(|p| expected_code(p)).collect();
    let untested: Vec<&str> = ferry::diagnostics::Code::ALL
        .iter()
        .map(|c| c.as_str())
        // Run-time codes are covered by tests/it/runtime_diagnostics.rs; E0108 and E0111 need
        // generated or unreadable files and are covered in tests/it/cli_lint.rs; E0112 needs a
        // project with a broken pulled schema file: tests/it/run_capsule_custom_fields.rs. Project file codes
        // (E06xx, W003x) come from ferry.yaml, not .ferry files: tests/it/project_diagnostics.rs.
        // The sandbox's seeded drift codes (E08xx) answer `ferry sandbox drift`:
        // tests/it/reconcile_drift.rs. Webhook subscription codes (E09xx) answer `ferry serve
        // --public-url` and `ferry hooks`: tests/it/serve_capsule_subscribe.rs.
        .filter(|c| !c.starts_with("E07") && !["E0108", "E0111", "E0112"].contains(c))
        .filter(|c| !c.starts_with("E06") && !c.starts_with("W003") && !c.starts_with("E08"))
        .filter(|c| !c.starts_with("E09"))
        .filter(|c| !covered.iter().any(|k| k == c))
        .collect();
    assert!(
        untested.is_empty(),
        "codes without a bad program: {untested:?}"
    );
}
