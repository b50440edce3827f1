//! Reads a pipeline file and everything it imports, refusing what is not a pipeline file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::ast::{Item, Module};
use super::parse_module;
use crate::diagnostics::{Code, Diagnostic, FileId, SourceMap, Span};

/// Pipeline files larger than this are refused (E0108).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

pub struct Loaded {
    /// The root file first, then its imports, each once.
    pub modules: Vec<Module>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn load(path: &Path, sources: &mut SourceMap) -> Loaded {
    let mut loader = Loader::new(sources);
    loader.visit(path, None, None);
    loader.finish()
}

/// Like [`load`], with the root's text given (imports are still read from disk).
pub fn load_text(path: &Path, text: &str, sources: &mut SourceMap) -> Loaded {
    let mut loader = Loader::new(sources);
    loader.visit(path, Some(text.as_bytes().to_vec()), None);
    loader.finish()
}

/// Where an import was written: the importing file and the span of its path string.
#[derive(Clone, Copy)]
struct ImportSite {
    span: Span,
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    modules: Vec<Module>,
    diagnostics: Vec<Diagnostic>,
    done: HashSet<PathBuf>,
    /// Files being loaded, root first, for cycle detection: (canonical path, path as shown).
    stack: Vec<(PathBuf, PathBuf)>,
}

impl<'a> Loader<'a> {
    fn new(sources: &'a mut SourceMap) -> Self {
        Loader {
            sources,
            modules: Vec::new(),
            diagnostics: Vec::new(),
            done: HashSet::new(),
            stack: Vec::new(),
        }
    }

    fn finish(self) -> Loaded {
        Loaded {
            modules: self.modules,
            diagnostics: self.diagnostics,
        }
    }

    fn visit(&mut self, path: &Path, text: Option<Vec<u8>>, site: Option<ImportSite>) {
        let path = &normalize(path);
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(position) = self.stack.iter().position(|(p, _)| *p == key) {
            self.cycle(position, path, site);
            return;
        }
        if !self.done.insert(key.clone()) {
            return;
        }
        let bytes = match text {
            Some(bytes) => bytes,
            None => match self.read(path, site) {
                Some(bytes) => bytes,
                None => return,
            },
        };
        let Some((file, text)) = self.admit(path, bytes) else {
            return;
        };
        let module = match parse_module(file, &text) {
            Ok(module) => module,
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic);
                return;
            }
        };
        if module.items.is_empty() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::EmptyFile,
                    Span::new(file, 0, text.len().min(1)),
                    "this file defines nothing",
                )
                .with_label("no `pipeline`, `fn` or `lookup` here")
                .with_help("check the path; a pipeline file starts with `pipeline name { ... }`"),
            );
            return;
        }
        let imports: Vec<(String, Span)> = module
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Use(u) => Some((u.path.value.clone(), u.path.span)),
                _ => None,
            })
            .collect();
        self.modules.push(module);
        self.stack.push((key, path.to_path_buf()));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (import, span) in imports {
            self.visit(&dir.join(import), None, Some(ImportSite { span }));
        }
        self.stack.pop();
    }

    fn read(&mut self, path: &Path, site: Option<ImportSite>) -> Option<Vec<u8>> {
        let result = std::fs::metadata(path).and_then(|m| {
            if m.is_dir() {
                Err(std::io::Error::other("it is a folder"))
            } else {
                Ok(m.len())
            }
        });
        let outcome = result.and_then(|len| {
            if len > MAX_FILE_BYTES {
                Ok(Err(len))
            } else {
                std::fs::read(path).map(Ok)
            }
        });
        match outcome {
            Ok(Ok(bytes)) => Some(bytes),
            Ok(Err(len)) => {
                let file = self.sources.add(path, "");
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::FileTooLarge,
                        Span::new(file, 0, 0),
                        format!(
                            "{} is {len} bytes; pipeline files are limited to {MAX_FILE_BYTES}",
                            path.display()
                        ),
                    )
                    .with_label("this file")
                    .with_help(
                        "move data into a lookup file (`lookup name from \"file.csv\" ...`)",
                    ),
                );
                None
            }
            Err(error) => {
                let diagnostic = match site {
                    Some(site) => Diagnostic::new(
                        Code::ImportNotFound,
                        site.span,
                        format!("cannot read imported file {}: {error}", path.display()),
                    )
                    .with_label("imported here")
                    .with_help("imports are resolved relative to the file that contains the `use`"),
                    None => Diagnostic::unlocated(
                        Code::CannotReadFile,
                        format!("cannot read {}: {error}", path.display()),
                    ),
                };
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Adds the file to the source map unless it is not UTF-8 text.
    fn admit(&mut self, path: &Path, bytes: Vec<u8>) -> Option<(FileId, std::sync::Arc<str>)> {
        match String::from_utf8(bytes) {
            Ok(text) => {
                let binary = text
                    .char_indices()
                    .find(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'));
                let file = self.sources.add(path, text.as_str());
                if let Some((offset, c)) = binary {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::BinaryFile,
                            Span::new(file, offset, offset + c.len_utf8()),
                            format!("{} is not a text file", path.display()),
                        )
                        .with_label(format!("control character U+{:04X}", c as u32))
                        .with_help("check the path: this looks like a binary file, not a pipeline"),
                    );
                    return None;
                }
                let text = self.sources.get(file).map(|f| f.text.clone())?;
                Some((file, text))
            }
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                // Offsets in the lossy text match up to the first bad byte.
                let file = self.sources.add(path, lossy);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidUtf8,
                        Span::new(file, offset, offset + 1),
                        format!("{} is not valid UTF-8", path.display()),
                    )
                    .with_label("this byte is not UTF-8")
                    .with_help("re-save the file as UTF-8"),
                );
                None
            }
        }
    }

    fn cycle(&mut self, position: usize, path: &Path, site: Option<ImportSite>) {
        let Some(site) = site else {
            return;
        };
        let mut chain: Vec<String> = self.stack[position..]
            .iter()
            .map(|(_, p)| p.display().to_string())
            .collect();
        chain.push(path.display().to_string());
        let mut diagnostic =
            Diagnostic::new(Code::ImportCycle, site.span, "this import closes a cycle")
                .with_label("imports a file that is already importing this one")
                .with_help("move what both files need into a third file that neither imports back");
        for pair in chain.windows(2) {
            diagnostic = diagnostic.with_note(format!("{} imports {}", pair[0], pair[1]));
        }
        self.diagnostics.push(diagnostic);
    }
}

/// Removes `.` and `a/..` from a path without touching the file system, so messages show the
/// path a person would write.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
