//! Golden tests for the project file: each YAML file in tests/project_diagnostics/ starts with
//! `# expect: CODE` (and `# environment: NAME` when the code comes from resolving that
//! environment); the rendered diagnostics are insta snapshots. Every E06xx and W003x code has one.

use std::path::{Path, PathBuf};

use ferry::diagnostics::{Code, Diagnostic, SourceMap, render};
use ferry::project;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new("tests/project_diagnostics");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The `# key: value` header lines of a case.
fn header(path: &Path, key: &str) -> Option<String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let prefix = format!("# {key}: ");
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}

/// Loads the case and, when it names an environment, resolves it with no variables set; when it
/// lists the project's pipelines (`# pipelines: a, b`), checks the names under `pipelines:`.
fn diagnose(path: &Path) -> (Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::default();
    let (project, mut diagnostics) = project::check(path, &mut sources);
    if let (Some(project), Some(known)) = (&project, header(path, "pipelines")) {
        let known: Vec<String> = known.split(',').map(|n| n.trim().to_string()).collect();
        diagnostics.extend(project.unknown_pipelines(&known));
    }
    if let (Some(project), Some(environment)) = (project, header(path, "environment"))
        && let Err(more) = project.environment_with(Some(&environment), &|_| None)
    {
        diagnostics.extend(more);
    }
    (diagnostics, sources)
}

#[test]
fn every_bad_project_file_reports_its_code_and_matches_its_snapshot() {
    let mut failures = Vec::new();
    for path in cases() {
        let expected = header(&path, "expect").expect("a case starts with `# expect: CODE`");
        let (diagnostics, sources) = diagnose(&path);
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        if !codes.contains(&expected.as_str()) {
            failures.push(format!(
                "{}: expected {expected}, got {codes:?}",
                path.display()
            ));
        }
        let rendered: String = diagnostics
            .iter()
            .map(|d| render::to_terminal(d, &sources, false))
            .collect();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, rendered);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_project_code_has_a_bad_project_file() {
    let covered: Vec<String> = cases().iter().filter_map(|p| header(p, "expect")).collect();
    let untested: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| c.starts_with("E06") || c.starts_with("W003"))
        .filter(|c| !covered.iter().any(|k| k == c))
        .collect();
    assert!(
        untested.is_empty(),
        "project codes without a case: {untested:?}"
    );
}

#[test]
fn a_live_key_never_reaches_the_rendered_diagnostic() {
    let path = Path::new("tests/project_diagnostics/e0611_live_key_in_file.yaml");
    let (diagnostics, sources) = diagnose(path);
    let rendered: String = diagnostics
        .iter()
        .map(|d| {
            render::to_terminal(d, &sources, false) + &render::to_json(d, &sources).to_string()
        })
        .collect();
    assert!(rendered.contains("E0611"));
    assert!(!rendered.contains("CANARY"), "{rendered}");
    assert!(!rendered.contains("sk_live_"), "{rendered}");
}
