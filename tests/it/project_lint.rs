//! `ferry lint` checks the project file of a folder, or one passed explicitly.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn ferry_in(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("ferry").unwrap();
    command.current_dir(dir);
    command
}

/// A copy of the shipped project: ferry.yaml, the pipelines and what was pulled of the
/// accounts (`schemas/`: Capsule's custom fields).
fn project_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("ferry.yaml"), dir.path().join("ferry.yaml")).unwrap();
    copy_dir(&root.join("pipelines"), &dir.path().join("pipelines"));
    copy_dir(&root.join("schemas"), &dir.path().join("schemas"));
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

/// `ferry lint --format json ARGS` in `dir`: the report.
fn lint_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let output = ferry_in(dir)
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The diagnostics of a report with `code`.
fn with_code<'r>(report: &'r serde_json::Value, code: &str) -> Vec<&'r serde_json::Value> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

/// The shipped ferry.yaml with its `pipelines:` section replaced by `section`.
fn with_pipelines_section(dir: &Path, section: &str) {
    let path = dir.join("ferry.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (before, _) = text.split_once("\npipelines:\n").unwrap();
    std::fs::write(&path, format!("{before}\n{section}")).unwrap();
}

#[test]
fn both_charge_flows_enabled_warn_w0009_once_naming_both_and_the_system() {
    let dir = project_copy();
    with_pipelines_section(
        dir.path(),
        "pipelines:\n  pronto_prices_to_stripe_prices: { shares_events_with: [pronto_products_to_stripe_products] }\n",
    );
    for args in [&["."][..], &["pipelines/"][..]] {
        let report = lint_json(dir.path(), args);
        assert_eq!(report["errors"], 0, "{report}");
        assert_eq!(report["warnings"], 1, "{report}");
        let warned = with_code(&report, "W0009");
        assert_eq!(warned.len(), 1, "{report}");
        // The syspro flow reads charge.succeeded too but writes another system; the refunds flow
        // writes Business Central but for charge.refunded: neither is named.
        // `ferry lint .` names files `./pipelines/...`.
        let message = warned[0]["message"].as_str().unwrap().replace("./", "");
        assert_eq!(
            message,
            "`stripe_charges_to_business_central_invoices` and `stripe_charges_to_business_central` \
             (pipelines/stripe_charges_to_business_central.ferry) both write every `charge.succeeded` \
             event of `stripe.events` to `business_central`",
            "{report}"
        );
        assert!(
            warned[0]["labels"][0]["file"]
                .as_str()
                .unwrap()
                .ends_with("pipelines/stripe_charges_to_business_central_invoices.ferry"),
            "{report}"
        );
        assert!(
            warned[0]["help"].as_str().unwrap().contains(
                "`pipelines: { stripe_charges_to_business_central: { enabled: false } }`"
            ),
            "{report}"
        );
    }
    ferry_in(dir.path())
        .args(["lint", "--deny-warnings", "."])
        .assert()
        .code(1);
}

#[test]
fn a_pipeline_turned_off_takes_no_part_in_w0009() {
    let dir = project_copy();
    with_pipelines_section(
        dir.path(),
        "pipelines:\n  stripe_charges_to_business_central_invoices: { enabled: false }\n",
    );
    let report = lint_json(dir.path(), &["pipelines/"]);
    let warned = with_code(&report, "W0009");
    // The charge flows are one pipeline now; the Pronto pair was not said to share its items.
    assert_eq!(warned.len(), 1, "{report}");
    assert_eq!(
        warned[0]["message"],
        "`pronto_prices_to_stripe_prices` and `pronto_products_to_stripe_products` \
         (pipelines/pronto_products_to_stripe.ferry) both write every record of \
         `pronto.products` to `stripe`",
        "{report}"
    );
}

#[test]
fn the_shipped_folder_lints_clean_only_with_its_project_file() {
    let dir = project_copy();
    ferry_in(dir.path())
        .args(["lint", "--deny-warnings", "pipelines/"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("0 errors, 0 warnings"));
    std::fs::remove_file(dir.path().join("ferry.yaml")).unwrap();
    let report = lint_json(dir.path(), &["pipelines/"]);
    assert_eq!(with_code(&report, "W0009").len(), 2, "{report}");
}

#[test]
fn an_unknown_pipeline_in_the_project_file_is_e0620_with_the_known_names() {
    let dir = project_copy();
    with_pipelines_section(
        dir.path(),
        "pipelines:\n  stripe_charge_to_business_central: { enabled: false }\n",
    );
    let report = lint_json(dir.path(), &["."]);
    let unknown = with_code(&report, "E0620");
    assert_eq!(unknown.len(), 1, "{report}");
    assert_eq!(
        unknown[0]["message"],
        "the project has no pipeline `stripe_charge_to_business_central`"
    );
    let help = unknown[0]["help"].as_str().unwrap();
    assert!(
        help.starts_with("did you mean `stripe_charges_to_business_central`?"),
        "{help}"
    );
    assert!(
        help.contains("`stripe_refunds_to_business_central`"),
        "{help}"
    );
    // The same file checked alone knows the pipelines in its pipelines/ folder.
    let alone = lint_json(dir.path(), &["ferry.yaml"]);
    assert_eq!(with_code(&alone, "E0620").len(), 1, "{alone}");
    assert_eq!(alone["errors"], 1, "{alone}");
}
