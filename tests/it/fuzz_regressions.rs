//! Replays every input under `tests/fixtures/fuzz_regressions/<target>/` through the property
//! its fuzz target checks (`fuzz/properties`): the minimised inputs that once failed, kept so
//! the bugs they found stay fixed. A folder named after no target fails the test, so an input
//! is never skipped silently.

use crate::properties;

use std::path::Path;

/// A fuzz target's property, fed the target's bytes.
type Property = fn(&[u8]);

const TARGETS: &[(&str, Property)] = &[
    ("parse_check", properties::parse_check::check),
    ("stripe_signature", properties::signature::check),
    ("form", properties::form::check),
    ("link_header", properties::link_header::check),
    ("odata_next_link", properties::odata_next_link::check),
    ("lookup_csv", properties::lookup::check_csv),
    ("lookup_yaml", properties::lookup::check_yaml),
];

#[test]
fn every_minimised_input_still_passes_its_property() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz_regressions");
    let mut replayed = 0;
    for folder in std::fs::read_dir(&root).unwrap() {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, property)) = TARGETS.iter().find(|(target, _)| *target == name) else {
            panic!("{} is named after no fuzz target", folder.display());
        };
        let mut inputs: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{} holds no input", folder.display());
        for input in inputs {
            let bytes = std::fs::read(&input).unwrap();
            eprintln!("replaying {}", input.display());
            property(&bytes);
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no input under {} was replayed",
        root.display()
    );
}
