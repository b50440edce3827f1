//! `ferry lint`: exit codes, JSON output, and bad input that must never panic.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn ferry() -> Command {
    let mut command = Command::cargo_bin("ferry").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn lint_file(name: &str, bytes: &[u8]) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let assert = ferry().arg("lint").arg(&path).assert();
    drop(dir);
    assert
}

#[test]
fn shipped_pipelines_are_clean() {
    ferry()
        .args(["lint", "--deny-warnings", "pipelines/"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 errors, 0 warnings"));
}

#[test]
fn errors_exit_1_with_the_code() {
    ferry()
        .args(["lint", "tests/diagnostics/e0201_unknown_source_field.ferry"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E0201").and(predicate::str::contains("did you mean")));
}

#[test]
fn missing_path_is_a_usage_error() {
    ferry()
        .args(["lint", "no/such/file.ferry"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
    ferry().arg("lint").assert().code(2);
}

#[test]
fn warnings_fail_only_with_deny_warnings() {
    let file = "tests/diagnostics/w0001_unused_let.ferry";
    ferry()
        .args(["lint", file])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("W0001"));
    ferry()
        .args(["lint", "--deny-warnings", file])
        .assert()
        .code(1);
}

#[test]
fn json_format_gives_codes_and_positions() {
    let output = ferry()
        .args([
            "lint",
            "--format",
            "json",
            "tests/diagnostics/e0302_minor_units_to_decimal.ferry",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["errors"], 1);
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(diagnostic["code"], "E0302");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["labels"][0]["line"], 6);
    assert_eq!(diagnostic["labels"][0]["column"], 14);
    assert!(
        diagnostic["help"]
            .as_str()
            .unwrap()
            .contains("cents_to_decimal(.amount, .currency)")
    );
}

fn assert_coded(assert: assert_cmd::assert::Assert, code: &str) {
    assert
        .code(1)
        .stderr(predicate::str::contains(code).and(predicate::str::contains("panicked").not()));
}

#[test]
fn empty_file() {
    assert_coded(lint_file("empty.ferry", b""), "E0106");
    assert_coded(lint_file("comments.ferry", b"// nothing yet\n"), "E0106");
}

#[test]
fn invalid_utf8() {
    assert_coded(lint_file("latin1.ferry", b"pipeline caf\xe9 {}"), "E0105");
}

#[test]
fn binary_garbage() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let assert = lint_file("garbage.ferry", &garbage);
    assert
        .code(1)
        .stderr(predicate::str::contains("panicked").not());
    assert_coded(
        lint_file("elf.ferry", b"\x7fELF\x02\x01\x01\x00\x00"),
        "E0110",
    );
}

#[test]
fn ten_megabyte_file() {
    let big = "// padding\n".repeat(1_000_000);
    assert_coded(lint_file("big.ferry", big.as_bytes()), "E0108");
}

#[test]
fn ten_thousand_nested_parentheses() {
    let text = format!(
        "pipeline p {{ source capsule.parties map to stripe.customer {{ email = {}\"a\"{} }} sink stripe.customers {{ match on email }} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_coded(lint_file("deep.ferry", text.as_bytes()), "E0107");
}

#[test]
fn long_operator_chains_do_not_overflow() {
    let chain = vec!["1"; 5_000].join(" + ");
    let text = format!("fn f() -> int = {chain}\n");
    lint_file("chain.ferry", text.as_bytes()).stderr(predicate::str::contains("panicked").not());
    let nots = format!("fn f() -> bool = {}true\n", "!".repeat(5_000));
    lint_file("nots.ferry", nots.as_bytes()).stderr(predicate::str::contains("panicked").not());
}

#[test]
fn missing_import() {
    ferry()
        .args(["lint", "tests/diagnostics/e0206_import_not_found.ferry"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("E0206").and(predicate::str::contains("common/money.ferry")),
        );
}

#[test]
fn import_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.ferry");
    std::fs::write(&a, "use \"b.ferry\"\nfn one() -> int = 1\n").unwrap();
    std::fs::write(
        dir.path().join("b.ferry"),
        "use \"c.ferry\"\nfn two() -> int = 2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c.ferry"),
        "use \"a.ferry\"\nfn three() -> int = 3\n",
    )
    .unwrap();
    ferry()
        .arg("lint")
        .arg(&a)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E0207").and(predicate::str::contains("c.ferry imports")));
}

#[test]
fn unreadable_root_file_is_coded() {
    let program = ferry::program::Program::load(Path::new("no/such/pipeline.ferry"));
    assert_eq!(program.diagnostics[0].code.as_str(), "E0111");
}
