//! docs/errors.md and docs/functions.md are generated from the code; they must be current.
//! docs/schemas.md too. Regenerate with `cargo run -- explain --all > docs/errors.md`,
//! `cargo run -- schema --format markdown > docs/schemas.md` and
//! `cargo run -- explain --functions > docs/functions.md`.

use std::path::Path;

fn assert_current(file: &str, generated: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{file} is out of date: regenerate it (see the comment at the top of tests/it/docs_generated.rs)"
    );
}

#[test]
fn errors_md_is_generated_from_the_codes() {
    assert_current(
        "docs/errors.md",
        ferry::diagnostics::render::errors_markdown(),
    );
}

#[test]
fn functions_md_is_generated_from_the_specs() {
    assert_current(
        "docs/functions.md",
        ferry::functions::reference::markdown(ferry::functions::Registry::standard()),
    );
}

#[test]
fn schemas_md_is_generated_from_the_schemas() {
    assert_current(
        "docs/schemas.md",
        ferry::check::listing::markdown(ferry::connectors::schemas()),
    );
}
