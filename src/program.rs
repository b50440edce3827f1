//! A pipeline file with its imports, loaded and checked: the input of every command.

use std::path::{Path, PathBuf};

use crate::check::{self, CheckedPipeline, Environment, SchemaRegistry};
use crate::diagnostics::{Code, Diagnostic, Severity, SourceMap};
use crate::functions::Registry;
use crate::lang::{CompileOptions, CompiledPipeline};
use crate::syntax::ast::{Item, Module, Pipeline};

/// Why a pipeline of a checked program could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("no pipeline `{name}` in {file} (it has: {known})")]
    NoSuchPipeline {
        name: String,
        file: String,
        known: String,
    },
    #[error("pipeline `{name}` was not checked (the file has errors)")]
    NotChecked { name: String },
    /// Kept whole, with its code and spans, so it renders like any other diagnostic.
    #[error("{} {}", .0.code, .0.message)]
    Diagnostic(Box<Diagnostic>),
}

pub struct Program {
    pub path: PathBuf,
    pub sources: SourceMap,
    /// The root file first, then its imports.
    pub modules: Vec<Module>,
    pub pipelines: Vec<CheckedPipeline>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the pipelines were checked against: every system's schemas, with what the
    /// project pulled of its accounts (`schemas/`) over them.
    pub schemas: &'static SchemaRegistry,
}

impl Program {
    /// Reads, parses and checks `path` and everything it imports.
    pub fn load(path: &Path) -> Program {
        let mut sources = SourceMap::default();
        let loaded = crate::syntax::load(path, &mut sources);
        Program::checked(path, sources, loaded)
    }

    /// Parses and checks `text` as if it were the file at `path` (imports are read relative to
    /// it): for editors, tests and the fuzz targets.
    pub fn load_text(path: &Path, text: &str) -> Program {
        let mut sources = SourceMap::default();
        let loaded = crate::syntax::load_text(path, text, &mut sources);
        Program::checked(path, sources, loaded)
    }

    fn checked(path: &Path, sources: SourceMap, loaded: crate::syntax::Loaded) -> Program {
        let mut diagnostics = loaded.diagnostics;
        let mut pipelines = Vec::new();
        let schemas = match project_schemas(path) {
            Ok(schemas) => schemas,
            Err(problems) => {
                diagnostics.extend(problems);
                crate::connectors::schemas()
            }
        };
        if !loaded.modules.is_empty() && !diagnostics.iter().any(is_error) {
            let environment = Environment {
                schemas,
                functions: Registry::standard(),
            };
            let checked = check::check(&loaded.modules, &sources, &environment);
            diagnostics.extend(checked.diagnostics);
            pipelines = checked.pipelines;
            // The pipelines of one file are one project too (`ferry lint` adds the others).
            let own = [(path, pipelines.as_slice())];
            diagnostics.extend(check::project_ownership(&own).into_iter().map(|(_, d)| d));
            let shared = check::project_shared_events(&own, check::EventSharing::default());
            diagnostics.extend(shared.into_iter().map(|(_, d)| d));
        }
        diagnostics.sort_by_key(|d| {
            d.primary_span()
                .map(|s| (s.file.0, s.start, s.end))
                .unwrap_or((0, 0, 0))
        });
        diagnostics.dedup();
        Program {
            path: path.to_path_buf(),
            sources,
            modules: loaded.modules,
            pipelines,
            diagnostics,
            schemas,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(is_error)
    }

    /// Files this program imported (not the root).
    pub fn imported_files(&self) -> Vec<PathBuf> {
        self.modules
            .iter()
            .skip(1)
            .filter_map(|m| self.sources.get(m.file).map(|f| f.path.clone()))
            .collect()
    }

    /// Pipelines defined in the root file, in order.
    pub fn pipeline_asts(&self) -> impl Iterator<Item = &Pipeline> {
        self.modules.iter().take(1).flat_map(|m| {
            m.items.iter().filter_map(|item| match item {
                Item::Pipeline(p) => Some(p),
                _ => None,
            })
        })
    }

    pub fn pipeline_names(&self) -> Vec<String> {
        self.pipeline_asts().map(|p| p.name.name.clone()).collect()
    }

    /// Folder of the root file: fixtures and lookups are relative to it.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Compiles one checked pipeline of the root file for evaluation.
    pub fn compile(&self, name: &str) -> Result<CompiledPipeline, CompileError> {
        let ast = self
            .pipeline_asts()
            .find(|p| p.name.name == name)
            .ok_or_else(|| CompileError::NoSuchPipeline {
                name: name.to_string(),
                file: self.path.display().to_string(),
                known: self.pipeline_names().join(", "),
            })?;
        let checked = self
            .pipelines
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| CompileError::NotChecked {
                name: name.to_string(),
            })?;
        let options = CompileOptions {
            functions: Registry::standard(),
            timezone: checked.timezone.clone(),
            lookups: checked.lookups.clone(),
            base_dir: self.base_dir(),
            id_keys: self
                .schemas
                .sinks
                .values()
                .filter_map(|sink| Some((sink.name.clone(), sink.keys.first()?.name.clone())))
                .collect(),
        };
        crate::lang::compile(&self.modules, ast, options)
            .map_err(|diagnostic| CompileError::Diagnostic(Box::new(diagnostic)))
    }
}

/// The schemas of the project `path` belongs to (the nearest `ferry.yaml` above it): the
/// fixed ones when it has none or pulled nothing.
fn project_schemas(path: &Path) -> Result<&'static SchemaRegistry, Vec<Diagnostic>> {
    let folder = path.parent().unwrap_or(path);
    let folder = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let Some(project_dir) = folder
        .ancestors()
        .find(|dir| dir.join(crate::project::FILE_NAME).is_file())
    else {
        return Ok(crate::connectors::schemas());
    };
    crate::connectors::project_schema::registry_for(project_dir).map_err(|problems| {
        problems
            .into_iter()
            .map(|problem| {
                Diagnostic::unlocated(Code::PulledSchemaFileInvalid, problem.to_string())
                    .with_help("pull it again: `ferry schema pull <connection>`")
            })
            .collect()
    })
}

fn is_error(diagnostic: &Diagnostic) -> bool {
    diagnostic.severity() == Severity::Error
}
