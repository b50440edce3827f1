//! `ferry lint` checks the project file of a folder, or one passed explicitly.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn ferry_in(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("ferry").unwrap();
    command.current_dir(dir);
    command
}

/// A copy of the shipped project: ferry.yaml and the pipelines.
fn project_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("ferry.yaml"), dir.path().join("ferry.yaml")).unwrap();
    copy_dir(&root.join("pipelines"), &dir.path().join("pipelines"));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn the_shipped_project_lints_clean() {
    let dir = project_copy();
    let pipelines = std::fs::read_dir(dir.path().join("pipelines"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "ferry")
        })
        .count();
    ferry_in(dir.path())
        .args(["lint", "--deny-warnings", "."])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "{} files checked: 0 errors, 0 warnings",
            pipelines + 1
        )));
}

#[test]
fn a_bad_project_file_fails_the_folder_with_its_diagnostics() {
    let dir = project_copy();
    let path = dir.path().join("ferry.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("kind: capsule", "kind: capsul")).unwrap();
    ferry_in(dir.path())
        .args(["lint", "."])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("E0603")
                .and(predicate::str::contains("ferry.yaml:14:11"))
                .and(predicate::str::contains("did you mean `capsule`?"))
                .and(predicate::str::contains("1 error, 0 warnings")),
        );
}

#[test]
fn an_explicit_project_file_is_checked_and_counted_in_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ferry.yaml"),
        "connections:\n  capsule: { kind: capsule, token: plain-token }\n",
    )
    .unwrap();
    let output = ferry_in(dir.path())
        .args(["lint", "--format", "json", "ferry.yaml"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(report["files"], 1);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 1);
    assert_eq!(report["diagnostics"][0]["code"], "W0030");
    assert_eq!(report["diagnostics"][0]["labels"][0]["line"], 2);
    assert!(!String::from_utf8_lossy(&output).contains("plain-token"));
    ferry_in(dir.path())
        .args(["lint", "--deny-warnings", "ferry.yaml"])
        .assert()
        .code(1);
}
