//! The top-level modules of `src/` depend on each other one way only: each may use the modules
//! above it in [`LAYERS`], never one below it. So there is no cycle between them.
//!
//! A use is any `crate::<module>` path in code (not only `use` lines), including the names in a
//! `use crate::{a, b::c}` group and `super::` paths that climb to the crate root. Comments and
//! string literals do not count.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. A module may use only the modules listed before it.
const LAYERS: &[&str] = &[
    "diagnostics", // diagnostics as data, and their codes
    "formats",     // file formats ferry reads (YAML)
    "value",       // the value model and what a function call sees
    "store",       // state that survives crashes; it knows values, not pipelines
    "syntax",      // text -> syntax tree
    "check",       // names, types, fallibility, schemas
    "functions",   // the standard library, typed by check, run on values
    "lang",        // the evaluator, calling the standard library
    "connectors",  // one folder per system; gives check its schemas, project its settings
    "project",     // the project file
    "alerts",      // telling someone when they must step in
    "program",     // a pipeline file loaded, checked and compiled
    "runtime",     // the run loop: poll, map, deliver, commit
    "server",      // `ferry serve`
    "sandbox",     // the emulators
    "cli",         // one file per command
];

#[test]
fn modules_use_only_the_modules_before_them() {
    let mut wrong = Vec::new();
    for file in rust_files(&src()) {
        let module = top_module(&file);
        let Some(own_layer) = layer(&module) else {
            continue; // lib.rs and main.rs: the roots
        };
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        for used in used_modules(&code, &module_path(&file)) {
            match layer(&used) {
                Some(used_layer) if used_layer > own_layer => wrong.push(format!(
                    "{}: `{module}` uses `{used}`, which comes after it in LAYERS",
                    relative(&file)
                )),
                _ => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "modules use modules that come after them (a back edge, or a cycle):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "rs"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|name| name != "lib" && name != "main")
        .collect();
    let listed: BTreeSet<String> = LAYERS.iter().map(|name| name.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "src/ and LAYERS must name the same modules"
    );
}

#[test]
fn the_scanner_sees_paths_in_code_only() {
    let code = code_only(
        r#"use crate::{check::{Type, Signature}, lang::Value};
// crate::store in a comment
/* crate::cli in a block */ let s = "crate::server"; let c = '"'; let x: &'static str = s;
fn f() { crate::runtime::run(super::super::store::open()) }"#,
    );
    let used = used_modules(&code, &["functions".into(), "text".into()]);
    let used: Vec<&str> = used.iter().map(String::as_str).collect();
    assert_eq!(used, ["check", "lang", "runtime", "store"]);
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(file: &Path) -> String {
    file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
        .display()
        .to_string()
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|name| *name == module)
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `src/lang/eval.rs` -> `["lang", "eval"]`; `src/lang/mod.rs` -> `["lang"]`.
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).unwrap().with_extension("");
    let mut path: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

fn top_module(file: &Path) -> String {
    module_path(file).first().cloned().unwrap_or_default()
}

/// The top-level modules, other than its own, that a file in `module` names.
fn used_modules(code: &str, module: &[String]) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_name = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if !preceded_by_name {
            used.extend(first_segments(rest));
        }
    }
    // `super::` climbs one module; as many as the file is deep reach the crate root.
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let mut after = &rest[at..];
        let mut climbs = 0;
        while let Some(next) = after.strip_prefix("super::") {
            after = next;
            climbs += 1;
        }
        if climbs == module.len() {
            used.extend(first_segments(after));
        }
        rest = after;
    }
    used.retain(|name| !name.is_empty() && Some(name) != module.first());
    used
}

/// The module names right after `crate::`: one (`lang::Value`) or a group (`{check, lang::X}`).
fn first_segments(path: &str) -> Vec<String> {
    let name = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = path.strip_prefix('{') else {
        return vec![name(path)];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut item_start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                names.push(name(&group[item_start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(name(&group[item_start..i]));
                item_start = i + 1;
            }
            _ => {}
        }
    }
    names
}

/// The source with comments, string literals and char literals blanked out.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let next = chars.get(i + 1).copied();
        match (chars[i], next) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            ('r', Some('"' | '#')) if starts_raw_string(&chars[i..]) => {
                let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                i += 2 + hashes;
                while i < chars.len()
                    && !(chars[i] == '"'
                        && chars[i + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|c| **c == '#')
                            .count()
                            == hashes)
                {
                    i += 1;
                }
                i += 1 + hashes;
                out.push_str("\"\"");
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal ('x', '\n', '"'), not a lifetime ('a, 'static).
            ('\'', Some(c)) if c == '\\' || chars.get(i + 2) == Some(&'\'') => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("' '");
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn starts_raw_string(chars: &[char]) -> bool {
    let hashes = chars[1..].iter().take_while(|c| **c == '#').count();
    chars.get(1 + hashes) == Some(&'"')
}
