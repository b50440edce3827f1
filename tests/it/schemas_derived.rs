//! The committed Stripe table is exactly what the script derives from the spec.

use std::path::Path;
use std::process::Command;

#[test]
fn derived_table_matches_the_script() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = root.join("../shared/reference/stripe/spec3-2022-04-12.json");
    if !spec.exists() {
        eprintln!(
            "note: {} is absent; skipping the derivation check",
            spec.display()
        );
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let derived = out.path().join("schemas.json");
    let status = Command::new("python3")
        .arg(root.join("scripts/derive_stripe_schemas.py"))
        .arg(&spec)
        .arg("--out")
        .arg(&derived)
        .output()
        .expect("python3 runs");
    assert!(
        status.status.success(),
        "the script failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let summary = String::from_utf8_lossy(&status.stderr);
    assert!(
        summary.contains("charge.amount (description+name)"),
        "{summary}"
    );
    let fresh = std::fs::read(&derived).unwrap();
    let committed = std::fs::read(root.join("src/connectors/stripe/schemas.json")).unwrap();
    assert!(
        fresh == committed,
        "src/connectors/stripe/schemas.json is stale: run python3 scripts/derive_stripe_schemas.py"
    );
}
