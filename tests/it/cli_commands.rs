//! `ferry map`, `ferry test` and `ferry explain` through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn ferry() -> Command {
    let mut command = Command::cargo_bin("ferry").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

const CHARGES: &str = "pipelines/stripe_charges_to_business_central.ferry";

#[test]
fn map_prints_mapped_records_as_json_lines() {
    let output = ferry()
        .args([
            "map",
            CHARGES,
            "--input",
            "pipelines/samples/charges.jsonl",
            "--xrefs",
            "pipelines/samples/xrefs.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["customerNumber"], "C00010");
    assert_eq!(
        lines[0]["salesOrderLines"][0]["unitPrice"].to_string(),
        "125.50"
    );
    assert_eq!(lines[1]["orderDate"], "2025-11-24");
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("2 mapped, 1 filtered, 0 skipped, 0 failed")
    );
}

#[test]
fn map_reports_bad_lines_and_goes_on() {
    let good = std::fs::read_to_string("pipelines/samples/charges.jsonl").unwrap();
    let first = good.lines().next().unwrap();
    let input = format!("{first}\n{{\"type\": \"charge.succeeded\", oops\n[1, 2]\n{first}\n");
    ferry()
        .args(["map", CHARGES, "--xrefs", "pipelines/samples/xrefs.json"])
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ch_3PzK9sB7WZ01zgkW1aQ5rT2m").count(2))
        .stderr(
            predicate::str::contains("line 2: E0706")
                .and(predicate::str::contains("line 3: E0706"))
                .and(predicate::str::contains(
                    "2 mapped, 0 filtered, 0 skipped, 2 failed",
                )),
        );
}

#[test]
fn map_reports_failed_records_with_line_and_reason() {
    ferry()
        .args(["map", CHARGES, "--input", "pipelines/samples/charges.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("line 1: E0700 customer not synced yet (at pipelines/stripe_charges_to_business_central.ferry:16"));
}

#[test]
fn map_needs_a_pipeline_name_when_a_file_has_several() {
    ferry()
        .args(["map", "pipelines/pronto_products_to_stripe.ferry"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--pipeline"));
    ferry()
        .args([
            "map",
            "pipelines/pronto_products_to_stripe.ferry",
            "--pipeline",
            "pronto_products_to_stripe_products",
        ])
        .write_stdin("{\"code\": \"A1\", \"description\": \"Anvil\"}\n")
        .assert()
        .code(0)
        .stdout(
            "{\"name\":\"Anvil\",\"active\":true,\"metadata\":{\"pronto_item_code\":\"A1\"}}\n",
        );
}

#[test]
fn map_refuses_a_pipeline_with_errors() {
    ferry()
        .args(["map", "tests/diagnostics/e0201_unknown_source_field.ferry"])
        .write_stdin("{}")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("E0201"));
}

#[test]
fn test_runs_every_test_block() {
    ferry()
        .args(["test", "pipelines/"])
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with("74 passed, 0 failed\n"));
}

#[test]
fn a_failing_test_shows_a_diff() {
    // A copy of the pipelines, so the fixtures resolve and the shipped files stay untouched.
    let dir = tempfile::tempdir().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    copy_dir(&source, dir.path());
    let path = dir.path().join("stripe_charges_to_business_central.ferry");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("unitPrice: 125.50", "unitPrice: 125.55");
    std::fs::write(&path, text).unwrap();
    ferry().arg("test").arg(&path).assert().code(1).stdout(
        predicate::str::contains("-       \"unitPrice\": 125.55")
            .and(predicate::str::contains("+       \"unitPrice\": 125.50"))
            .and(predicate::str::ends_with("2 passed, 1 failed\n")),
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn explain_knows_every_code() {
    for code in ferry::diagnostics::Code::ALL {
        ferry()
            .args(["explain", code.as_str()])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(code.title()));
    }
    ferry()
        .args(["explain", "e0302"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "cents_to_decimal(charge.amount, charge.currency)",
        ));
    ferry().args(["explain", "E9999"]).assert().code(2);
}

#[test]
fn schema_lists_connections_and_a_collections_fields() {
    ferry()
        .args(["schema"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "pronto\n  pronto.debtors (source)",
        ))
        .stdout(predicate::str::contains("  pronto.orders (sink)"));
    let output = ferry()
        .args(["schema", "pronto.order", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let fields = listed[0]["fields"].as_array().unwrap();
    let reference = fields
        .iter()
        .find(|f| f["path"] == "customer_reference")
        .unwrap();
    assert_eq!(reference["required"], true, "{reference}");
    assert!(
        fields.iter().any(|f| f["path"] == "lines[].price_inc_tax"),
        "{listed:#}"
    );
    ferry()
        .args(["schema", "pronto.debtor"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no connection, collection or map target is named `pronto.debtor`",
        ));
}
