//! Loading files: imports, cycles, missing files, size, encoding, binary and empty files.

use std::fs;
use std::path::Path;

use ferry::diagnostics::{Code, SourceMap};
use ferry::syntax::{Loaded, load, load_text};

fn codes(loaded: &Loaded) -> Vec<Code> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn imports_resolve_relative_to_the_importing_file_and_load_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("lib")).unwrap();
    fs::write(
        dir.path().join("main.ferry"),
        "use \"lib/a.ferry\"\nuse \"lib/b.ferry\"\nfn m() = 1",
    )
    .unwrap();
    fs::write(
        dir.path().join("lib/a.ferry"),
        "use \"b.ferry\"\nfn a() = 1",
    )
    .unwrap();
    fs::write(dir.path().join("lib/b.ferry"), "fn b() = 2").unwrap();
    let mut sources = SourceMap::default();
    let loaded = load(&dir.path().join("main.ferry"), &mut sources);
    assert_eq!(codes(&loaded), []);
    assert_eq!(loaded.modules.len(), 3);
    let names: Vec<String> = loaded
        .modules
        .iter()
        .map(|m| {
            let path = &sources.get(m.file).unwrap().path;
            path.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert_eq!(names[0], "main.ferry");
    assert_eq!(names[1..].len(), 2);
    assert!(names.contains(&"a.ferry".to_string()) && names.contains(&"b.ferry".to_string()));
}

#[test]
fn missing_import_points_at_the_path_string() {
    let dir = tempfile::tempdir().unwrap();
    let text = "use \"nope.ferry\"\nfn f() = 1";
    let mut sources = SourceMap::default();
    let loaded = load_text(&dir.path().join("main.ferry"), text, &mut sources);
    assert_eq!(codes(&loaded), [Code::ImportNotFound]);
    let span = loaded.diagnostics[0].primary_span().unwrap();
    assert_eq!(&text[span.range()], "\"nope.ferry\"");
}

#[test]
fn three_file_cycle_is_reported_with_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.ferry"), "use \"b.ferry\"\nfn a() = 1").unwrap();
    fs::write(dir.path().join("b.ferry"), "use \"c.ferry\"\nfn b() = 1").unwrap();
    fs::write(dir.path().join("c.ferry"), "use \"a.ferry\"\nfn c() = 1").unwrap();
    let mut sources = SourceMap::default();
    let loaded = load(&dir.path().join("a.ferry"), &mut sources);
    assert_eq!(codes(&loaded), [Code::ImportCycle]);
    let d = &loaded.diagnostics[0];
    let span = d.primary_span().unwrap();
    assert_eq!(
        sources.get(span.file).unwrap().path.file_name().unwrap(),
        "c.ferry"
    );
    assert_eq!(sources.text(span), "\"a.ferry\"");
    let notes = d.notes.join("\n");
    for name in ["a.ferry", "b.ferry", "c.ferry"] {
        assert!(notes.contains(name), "{notes}");
    }
}

#[test]
fn bad_files_get_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>, Code); 5] = [
        (
            "empty.ferry",
            b"  // only a comment\n".to_vec(),
            Code::EmptyFile,
        ),
        (
            "latin1.ferry",
            b"fn f() = \"caf\xe9\"".to_vec(),
            Code::InvalidUtf8,
        ),
        ("nul.ferry", b"fn f() = 1\0".to_vec(), Code::BinaryFile),
        (
            "big.ferry",
            vec![b' '; 10 * 1024 * 1024],
            Code::FileTooLarge,
        ),
        ("syntax.ferry", b"pipeline {".to_vec(), Code::SyntaxError),
    ];
    for (name, bytes, code) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        let mut sources = SourceMap::default();
        let loaded = load(&path, &mut sources);
        assert_eq!(codes(&loaded), [code], "{name}");
        assert!(loaded.modules.is_empty(), "{name}");
    }
    // The bad byte of a non-UTF-8 file is located, and the file can be rendered.
    let mut sources = SourceMap::default();
    let loaded = load(&dir.path().join("latin1.ferry"), &mut sources);
    let span = loaded.diagnostics[0].primary_span().unwrap();
    assert_eq!(span.start, 13);
    assert_eq!(sources.line_col(span.file, span.start), (1, 14));
}

#[test]
fn unreadable_root_is_e0111() {
    let mut sources = SourceMap::default();
    let loaded = load(Path::new("/definitely/not/here.ferry"), &mut sources);
    assert_eq!(codes(&loaded), [Code::CannotReadFile]);
}
