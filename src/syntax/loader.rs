//! Reading pipeline files and following their `use` imports.
//!
//! Files are read defensively: size is checked from metadata before reading, bytes must be
//! UTF-8 text without control characters, and a file must define something. Imports are
//! followed depth-first with an explicit stack, so a long import chain cannot overflow.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::ast::{Item, Module};
use super::parse_module;
use crate::diagnostics::{Code, Diagnostic, FileId, SourceMap, Span};

/// Largest pipeline file read: 4 MiB.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The modules of a pipeline file and everything it imports.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The root module first, then imports depth-first in the order of their `use` lines.
    pub modules: Vec<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `path` and every file it imports.
pub fn load(path: &Path, sources: &mut SourceMap) -> Loaded {
    let mut loader = Loader::new(sources);
    if let Some(module) = loader.read(path, None) {
        loader.follow_imports(path, module);
    }
    loader.finish()
}

/// Like [`load`] for a root file already in memory; imports are still read from disk, relative
/// to `path`'s folder.
pub fn load_text(path: &Path, text: &str, sources: &mut SourceMap) -> Loaded {
    let mut loader = Loader::new(sources);
    loader.visited.insert(identity(path));
    if let Some(module) = loader.parse(path, text) {
        loader.follow_imports(path, module);
    }
    loader.finish()
}

struct Loader<'s> {
    sources: &'s mut SourceMap,
    modules: Vec<Module>,
    diagnostics: Vec<Diagnostic>,
    /// Files read or attempted, by identity, so each is read once.
    visited: HashSet<PathBuf>,
}

/// A file whose imports are being followed.
struct Frame {
    identity: PathBuf,
    path: PathBuf,
    imports: Vec<(String, Span)>,
    next: usize,
}

/// The same file reached by different relative paths gets one identity.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn imports_of(module: &Module) -> Vec<(String, Span)> {
    module
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Use(decl) => Some((decl.path.value.clone(), decl.path.span)),
            _ => None,
        })
        .collect()
}

impl<'s> Loader<'s> {
    fn new(sources: &'s mut SourceMap) -> Self {
        Loader {
            sources,
            modules: Vec::new(),
            diagnostics: Vec::new(),
            visited: HashSet::new(),
        }
    }

    fn finish(self) -> Loaded {
        Loaded {
            modules: self.modules,
            diagnostics: self.diagnostics,
        }
    }

    /// Follows imports depth-first from the root module (already in `modules[root]`).
    fn follow_imports(&mut self, root_path: &Path, root: usize) {
        let mut stack = vec![Frame {
            identity: identity(root_path),
            path: root_path.to_path_buf(),
            imports: imports_of(&self.modules[root]),
            next: 0,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some((import, span)) = frame.imports.get(frame.next).cloned() else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let folder = frame.path.parent().unwrap_or(Path::new(""));
            let path = folder.join(&import);
            let id = identity(&path);
            if let Some(start) = stack.iter().position(|f| f.identity == id) {
                self.diagnostics.push(cycle(&stack[start..], &path, span));
                continue;
            }
            if !self.visited.insert(id.clone()) {
                continue;
            }
            if let Some(index) = self.read(&path, Some(span)) {
                let imports = imports_of(&self.modules[index]);
                stack.push(Frame {
                    identity: id,
                    path,
                    imports,
                    next: 0,
                });
            }
        }
    }

    /// Reads and parses one file; `imported_at` is the `use` path string that named it.
    fn read(&mut self, path: &Path, imported_at: Option<Span>) -> Option<usize> {
        self.visited.insert(identity(path));
        let shown = path.display();
        let cannot_read = |error: std::io::Error| match imported_at {
            Some(span) => Diagnostic::new(
                Code::ImportNotFound,
                span,
                format!("cannot read imported file `{shown}`: {error}"),
            )
            .with_label("imported here")
            .with_help("the path is relative to the folder of the importing file"),
            None => Diagnostic::unlocated(
                Code::CannotReadFile,
                format!("cannot read `{shown}`: {error}"),
            ),
        };
        let size = match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let error = std::io::Error::other("it is a folder, not a file");
                self.diagnostics.push(cannot_read(error));
                return None;
            }
            Ok(meta) => meta.len(),
            Err(error) => {
                self.diagnostics.push(cannot_read(error));
                return None;
            }
        };
        if size > MAX_FILE_SIZE {
            let message = format!(
                "`{shown}` is {:.1} MiB; pipeline files may be at most {} MiB",
                size as f64 / (1024.0 * 1024.0),
                MAX_FILE_SIZE / (1024 * 1024)
            );
            self.diagnostics.push(match imported_at {
                Some(span) => {
                    Diagnostic::new(Code::FileTooLarge, span, message).with_label("imported here")
                }
                None => Diagnostic::unlocated(Code::FileTooLarge, message),
            });
            return None;
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.diagnostics.push(cannot_read(error));
                return None;
            }
        };
        match String::from_utf8(bytes) {
            Ok(text) => self.parse(path, &text),
            Err(error) => {
                let bad = error.utf8_error();
                let at = bad.valid_up_to();
                let len = bad.error_len().unwrap_or(1);
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                // Lossy decoding keeps every valid byte before the first bad one in place.
                let file = self.sources.add(path, text);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidUtf8,
                        Span::new(file, at, at + len),
                        format!("`{shown}` is not valid UTF-8"),
                    )
                    .with_label("invalid byte")
                    .with_help("save the file as UTF-8"),
                );
                None
            }
        }
    }

    /// Checks and parses text; on success the module's index in `modules`.
    fn parse(&mut self, path: &Path, text: &str) -> Option<usize> {
        let file = self.sources.add(path, text);
        if let Some(diagnostic) = control_character(file, text) {
            self.diagnostics.push(diagnostic);
            return None;
        }
        match parse_module(file, text) {
            Ok(module) if module.items.is_empty() => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::EmptyFile,
                        Span::new(file, 0, 0),
                        format!("`{}` defines nothing", path.display()),
                    )
                    .with_label("the file has no items")
                    .with_help("add a `pipeline`, `fn` or `lookup`, or remove the file"),
                );
                None
            }
            Ok(module) => {
                self.modules.push(module);
                Some(self.modules.len() - 1)
            }
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }
}

/// A NUL or other control character (tabs and line breaks are fine).
fn control_character(file: FileId, text: &str) -> Option<Diagnostic> {
    let (at, ch) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))?;
    Some(
        Diagnostic::new(
            Code::BinaryFile,
            Span::new(file, at, at + ch.len_utf8()),
            format!(
                "the file contains the control character U+{:04X}",
                ch as u32
            ),
        )
        .with_label("control character")
        .with_help("pipeline files are plain text; check this is the file you meant"),
    )
}

fn cycle(chain: &[Frame], closing: &Path, span: Span) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(
        Code::ImportCycle,
        span,
        format!("importing `{}` closes an import cycle", closing.display()),
    )
    .with_label("this import closes the cycle");
    for pair in chain.windows(2) {
        diagnostic = diagnostic.with_note(format!(
            "`{}` imports `{}`",
            pair[0].path.display(),
            pair[1].path.display()
        ));
    }
    if let Some(last) = chain.last() {
        diagnostic = diagnostic.with_note(format!(
            "`{}` imports `{}`",
            last.path.display(),
            closing.display()
        ));
    }
    diagnostic.with_help("move what both files need into a third file that imports neither")
}
