//! Everything `ferry run` and `ferry dlq` set up before the first record: the project file,
//! the environment, the store, the pipelines and their connections.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fleet_budget::StoreBudget;
use super::job::Job;
use crate::connectors::http::SharedBudget;
use crate::connectors::{Connector, ConnectorError, ResolvedConnection};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::program::Program;
use crate::project::{
    DashboardSettings, Project, ReconcileSchedule, ResolvedAlerts, ResolvedDashboard,
    ResolvedEnvironment, Secret, StoreUrl,
};
use crate::store::{Store, StoreError};

pub const PROJECT_FILE: &str = "ferry.yaml";

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no ferry.yaml in {0} or any folder above it (pass --project)")]
    NoProject(PathBuf),
    /// Diagnostics of the project file, to render with `sources`.
    #[error("{} problem(s) in the project file", .diagnostics.len())]
    Project {
        diagnostics: Vec<Diagnostic>,
        sources: SourceMap,
    },
    /// Diagnostics of a pipeline file.
    #[error("{} has errors; run `ferry lint`", .path.display())]
    Pipeline {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
        sources: SourceMap,
    },
    #[error("{0}")]
    Pipelines(String),
    #[error(transparent)]
    Job(#[from] super::job::JobError),
    #[error("connection `{connection}`: {error}")]
    Connector {
        connection: String,
        error: Box<ConnectorError>,
    },
    /// Every store error names the store or says it is the store's: no prefix needed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A loaded project with one environment resolved.
pub struct Workspace {
    /// The folder holding `ferry.yaml`; relative paths start here.
    pub dir: PathBuf,
    pub environment: ResolvedEnvironment,
    /// Pipelines the project file turns off (`enabled: false`).
    pub disabled: Vec<String>,
    /// Who is told when someone must step in (`alerts:`); `None` when no one is.
    pub alerts: Option<ResolvedAlerts>,
    /// Who may open `ferry serve`'s dashboard, as written: read by [`Workspace::dashboard`],
    /// so that other commands need none of its secrets.
    dashboard: Option<DashboardSettings>,
    /// The reconciles `ferry serve` runs on a schedule (`reconcile:`).
    pub reconcile: Vec<ReconcileSchedule>,
    /// The project file, for diagnostics found after loading.
    sources: SourceMap,
}

/// The pipelines a command was pointed at, and what the project file made of them.
pub struct Selection {
    pub jobs: Vec<Job>,
    /// Pipelines of a folder that the project file turns off: not run.
    pub skipped: Vec<String>,
    /// Pipelines named on their own (by name or file) that the project file turns off: run,
    /// because they were asked for.
    pub run_though_disabled: Vec<String>,
}

impl Workspace {
    /// Loads `project` (or the nearest `ferry.yaml` from the current folder up) and resolves
    /// `environment` (or the file's default).
    pub fn open(project: Option<&Path>, environment: Option<&str>) -> Result<Self, SetupError> {
        let path = match project {
            Some(path) => path.to_path_buf(),
            None => find_project()?,
        };
        let mut sources = SourceMap::default();
        let loaded =
            Project::load_with(&path, &mut sources).map_err(|diagnostics| SetupError::Project {
                diagnostics,
                sources: sources.clone(),
            })?;
        let environment =
            loaded
                .environment(environment)
                .map_err(|diagnostics| SetupError::Project {
                    diagnostics,
                    sources: sources.clone(),
                })?;
        let alerts =
            loaded
                .alerts(&environment.name)
                .map_err(|diagnostics| SetupError::Project {
                    diagnostics,
                    sources: sources.clone(),
                })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Workspace {
            dir,
            environment,
            disabled: loaded.disabled_pipelines(),
            alerts,
            dashboard: loaded.dashboard.clone(),
            reconcile: loaded.reconcile.clone(),
            sources,
        })
    }

    /// The project's name in messages: its folder's name.
    pub fn project_name(&self) -> String {
        let dir = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        dir.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".to_string())
    }

    /// Every secret of the environment, masked out of whatever the run stores or prints.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut secrets: Vec<Secret> = self.environment.secrets().into_iter().cloned().collect();
        if let Some(alerts) = &self.alerts {
            secrets.extend(alerts.secrets().into_iter().cloned());
        }

        secrets
    }

    /// The dashboard's credentials, read (`${VAR}`, `file:`); `None` without a `dashboard:`
    /// section.
    pub fn dashboard(&self) -> Result<Option<ResolvedDashboard>, SetupError> {
        let Some(settings) = &self.dashboard else {
            return Ok(None);
        };
        settings
            .resolve(&self.dir, &|var| std::env::var(var).ok())
            .map(Some)
            .map_err(|diagnostics| SetupError::Project {
                diagnostics,
                sources: self.sources.clone(),
            })
    }

    /// Opens (creating if need be) the environment's store, migrated.
    pub async fn store(&self) -> Result<Store, SetupError> {
        Ok(Store::open(&self.store_url()).await?)
    }

    /// The environment's store URL, password included: for opening the store, never for
    /// showing (see [`crate::store::shown_url`]).
    pub fn store_url(&self) -> String {
        match &self.environment.store {
            StoreUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreUrl::SqliteMemory => "sqlite::memory:".to_string(),
            StoreUrl::Postgres(url) => url.expose().to_string(),
        }
    }

    /// The pipelines named by `targets`, as [`Workspace::select`] chooses them.
    pub fn jobs(&self, targets: &[String]) -> Result<Vec<Job>, SetupError> {
        Ok(self.select(targets)?.jobs)
    }

    /// The pipelines named by `targets`: files or folders of `.ferry` files (every pipeline in
    /// them), or pipeline names looked up in the project's folder and its `pipelines/`. A folder
    /// leaves out the pipelines the project file turns off; a file or a name does not.
    pub fn select(&self, targets: &[String]) -> Result<Selection, SetupError> {
        let mut selection = Selection {
            jobs: Vec::new(),
            skipped: Vec::new(),
            run_though_disabled: Vec::new(),
        };
        let mut names = Vec::new();
        for target in targets {
            let path = Path::new(target);
            if path.exists() {
                let whole_folder = path.is_dir();
                for file in ferry_files(path) {
                    let program = load_clean(&file)?;
                    for name in program.pipeline_names() {
                        if self.disables(&name) {
                            if whole_folder {
                                selection.skipped.push(name);
                                continue;
                            }
                            selection.run_though_disabled.push(name.clone());
                        }
                        let job = Job::new(&program, &name)?;
                        selection.jobs.push(job);
                    }
                }
            } else {
                names.push(target.clone());
            }
        }
        if !names.is_empty() {
            let folder = self.dir.join("pipelines");
            for file in project_pipeline_files(&self.dir) {
                let program = crate::program::Program::load(&file);
                for name in program.pipeline_names() {
                    if let Some(at) = names.iter().position(|n| *n == name) {
                        names.remove(at);
                        let program = load_clean(&file)?;
                        if self.disables(&name) {
                            selection.run_though_disabled.push(name.clone());
                        }
                        let job = Job::new(&program, &name)?;
                        selection.jobs.push(job);
                    }
                }
            }
            if !names.is_empty() {
                return Err(SetupError::Pipelines(format!(
                    "no file or pipeline named {} (pipelines are looked up in {} and {})",
                    names.join(", "),
                    self.dir.display(),
                    folder.display()
                )));
            }
        }
        if selection.jobs.is_empty() {
            let why = match selection.skipped.len() {
                0 => String::new(),
                n => format!(" (ferry.yaml turns off the {n} found)"),
            };
            return Err(SetupError::Pipelines(format!("no pipelines to run{why}")));
        }
        Ok(selection)
    }

    fn disables(&self, pipeline: &str) -> bool {
        self.disabled.iter().any(|d| d == pipeline)
    }

    /// The pipelines called `names`, looked up in `paths` (files or folders).
    pub fn jobs_named(&self, names: &[String], paths: &[PathBuf]) -> Result<Vec<Job>, SetupError> {
        let mut jobs = Vec::new();
        for file in paths.iter().flat_map(|path| ferry_files(path)) {
            let program = Program::load(&file);
            for name in program.pipeline_names() {
                if names.contains(&name) && !jobs.iter().any(|j: &Job| j.name == name) {
                    let program = load_clean(&file)?;
                    jobs.push(Job::new(&program, &name)?);
                }
            }
        }
        if let Some(missing) = names.iter().find(|n| !jobs.iter().any(|j| &j.name == *n)) {
            return Err(SetupError::Pipelines(format!(
                "no pipeline `{missing}` in {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(jobs)
    }

    /// One client per connection the jobs use; `input` replaces the path of file sources.
    /// Their requests are paced by `store`'s fleet-wide budget when it keeps one (PostgreSQL),
    /// so that every process on the store together stays under each API's limit.
    pub fn connectors(
        &self,
        jobs: &[Job],
        input: Option<&Path>,
        store: &Store,
    ) -> Result<HashMap<String, Arc<Connector>>, SetupError> {
        let budget: Arc<dyn SharedBudget> = Arc::new(StoreBudget(store.clone()));
        let mut connectors = HashMap::new();
        for job in jobs {
            let ends = std::iter::once((&job.source, true))
                .chain(job.steps.iter().map(|step| (&step.sink, false)));
            for (end, is_source) in ends {
                let key = end.connector_key(is_source);
                if connectors.contains_key(&key) {
                    continue;
                }
                let error = |error| SetupError::Connector {
                    connection: end.connection.clone(),
                    error: Box::new(error),
                };
                let mut connector = match (self.environment.connection(&end.connection), input) {
                    (_, Some(path)) if end.is_local_files() && is_source => {
                        Connector::file(path.to_path_buf())
                    }
                    (Some(connection), _) => {
                        let paced = ResolvedConnection {
                            shared_budget: Some(budget.clone()),
                            ..connection.clone()
                        };
                        Connector::open(&paced, None).map_err(error)?
                    }
                    (None, _) => {
                        return Err(error(ConnectorError::Unsupported(format!(
                            "pipeline `{}` uses `{}`, which ferry.yaml's `{}` environment does not define",
                            job.name, end.connection, self.environment.name
                        ))));
                    }
                };
                if !is_source {
                    connector.prepare_sink(&end.stream).map_err(error)?;
                }
                connectors.insert(key, Arc::new(connector));
            }
        }
        Ok(connectors)
    }
}

fn find_project() -> Result<PathBuf, SetupError> {
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    find_project_from(&start).ok_or(SetupError::NoProject(start))
}

/// The nearest `ferry.yaml` in `start` (a folder) or a folder above it.
pub fn find_project_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(PROJECT_FILE))
        .find(|candidate| candidate.is_file())
}

/// The `.ferry` files where a project's pipelines are looked up by name: those in the project's
/// folder and in its `pipelines/`.
pub fn project_pipeline_files(project_dir: &Path) -> Vec<PathBuf> {
    let mut files = ferry_files(project_dir);
    files.extend(ferry_files(&project_dir.join("pipelines")));
    files
}

fn load_clean(file: &Path) -> Result<Program, SetupError> {
    let program = Program::load(file);
    if program.has_errors() {
        return Err(SetupError::Pipeline {
            path: file.to_path_buf(),
            diagnostics: program.diagnostics,
            sources: program.sources,
        });
    }
    Ok(program)
}

/// `path` itself, or the `.ferry` files directly in it, sorted.
fn ferry_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ferry"))
        .collect();
    files.sort();
    files
}
