//! The project file `ferry.yaml`: connections, environments, the store and the time zone.
//! Loading validates it with diagnostics pointing into the YAML; [`Project::environment`]
//! resolves an environment's overrides and secrets. See `docs/project.md`.

mod alerts;
mod connection_settings;
mod dashboard;
mod document;
mod mask;
mod parse;
mod pipelines;
mod reconcile;
mod resolve;
mod rules;
mod setting;

use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;

use crate::diagnostics::{Code, Diagnostic, Severity, SourceMap, Span};

pub use crate::connectors::rate_limit::{RateLimit, format_duration, parse_duration};
pub use crate::connectors::secret::{self, Secret, redact};
pub use crate::connectors::{Auth, Kind, ResolvedConnection};
pub use alerts::{
    AlertSettings, ChannelSettings, ChannelTarget, ResolvedAlerts, ResolvedChannel, SmtpTls,
    Triggers, WebhookFormat,
};
pub use dashboard::{Access, DashboardSettings, ResolvedDashboard};
pub use pipelines::PipelineSettings;
pub use reconcile::{ReconcileSchedule, When};
pub use resolve::{ResolvedEnvironment, StoreUrl};
pub use setting::{ExpandError, Piece, Setting, Template};

/// The file name `ferry lint` looks for in a folder.
pub const FILE_NAME: &str = "ferry.yaml";

/// The store when the project file names none, relative to the project file.
pub const DEFAULT_STORE: &str = "sqlite://.ferry/state.db";

/// A value with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A validated project file.
#[derive(Debug)]
pub struct Project {
    pub path: PathBuf,
    /// The folder holding the project file: relative paths are resolved against it.
    pub dir: PathBuf,
    pub timezone: Option<Spanned<String>>,
    pub store: Option<Setting>,
    /// The address the systems reach `ferry serve` at (`public_url:`), where it subscribes
    /// their webhooks; an environment may set its own.
    pub public_url: Option<Setting>,
    pub default_environment: Option<Spanned<String>>,
    pub connections: IndexMap<String, Connection>,
    pub environments: IndexMap<String, Environment>,
    /// What the file says about pipelines by name (`enabled: false`); a pipeline not named
    /// here runs.
    pub pipelines: IndexMap<String, PipelineSettings>,
    /// Who is told when someone must step in, and when (`alerts:`).
    pub alerts: Option<AlertSettings>,
    /// Who may open `ferry serve`'s dashboard (`dashboard:`); none without the section.
    pub dashboard: Option<DashboardSettings>,
    /// The reconciles `ferry serve` runs on a schedule (`reconcile:`).
    pub reconcile: Vec<ReconcileSchedule>,
    /// Warnings found while loading (errors make loading fail).
    pub warnings: Vec<Diagnostic>,
}

/// A connection as declared at the top level.
#[derive(Clone, Debug)]
pub struct Connection {
    pub name: String,
    pub name_span: Span,
    pub kind: Kind,
    pub settings: ConnectionSettings,
}

/// The settings of a connection, or an environment's overrides of them.
#[derive(Clone, Debug, Default)]
pub struct ConnectionSettings {
    /// Text settings (`api_key`, `base_url`, `tenant`, ...) by key.
    pub values: IndexMap<String, Setting>,
    pub rate_limit: Option<Spanned<RateLimit>>,
    pub concurrency: Option<u32>,
    pub timeout: Option<Duration>,
    /// Keys written with a value already reported as invalid: not reported again as missing.
    pub invalid: Vec<String>,
}

/// A named environment: overrides of connections and the store.
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub name_span: Span,
    pub store: Option<Setting>,
    pub public_url: Option<Setting>,
    pub connections: IndexMap<String, Override>,
    /// `alerts: false` keeps this environment quiet (a sandbox, a developer's machine).
    pub alerts: bool,
}

/// One environment's overrides of one connection.
#[derive(Clone, Debug)]
pub struct Override {
    pub name_span: Span,
    pub settings: ConnectionSettings,
}

impl Project {
    /// Reads and validates a project file. Diagnostics point into a private source map; use
    /// [`Project::load_with`] to render them.
    pub fn load(path: &Path) -> Result<Project, Vec<Diagnostic>> {
        Project::load_with(path, &mut SourceMap::default())
    }

    /// Reads and validates a project file, adding it to `sources` so diagnostics can be
    /// rendered. Literal credentials are masked in the copy added to `sources`.
    pub fn load_with(path: &Path, sources: &mut SourceMap) -> Result<Project, Vec<Diagnostic>> {
        let (project, diagnostics) = check(path, sources);
        match project {
            Some(project) if !has_errors(&diagnostics) => Ok(project),
            _ => Err(diagnostics),
        }
    }

    /// Validates project text that is not on disk (tests, editors).
    pub fn from_text(
        path: &Path,
        text: &str,
        sources: &mut SourceMap,
    ) -> Result<Project, Vec<Diagnostic>> {
        let (project, diagnostics) = check_text(path, text, sources);
        match project {
            Some(project) if !has_errors(&diagnostics) => Ok(project),
            _ => Err(diagnostics),
        }
    }

    /// The secrets written literally in the file (for local emulators), so they can be
    /// redacted too.
    pub fn literal_secrets(&self) -> Vec<Secret> {
        let bases = self.connections.values().map(|c| &c.settings);
        let overrides = self
            .environments
            .values()
            .flat_map(|e| e.connections.values().map(|o| &o.settings));
        bases
            .chain(overrides)
            .flat_map(|s| s.values.values())
            .filter(|s| s.secret)
            .filter_map(|s| s.template.literal())
            .map(Secret::new)
            .collect()
    }
}

/// Everything `ferry lint` reports about a project file, errors and warnings, and the project
/// when it is valid enough to build.
pub fn check(path: &Path, sources: &mut SourceMap) -> (Option<Project>, Vec<Diagnostic>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let diagnostic = Diagnostic::unlocated(
                Code::ProjectFileUnreadable,
                format!("cannot read project file {}: {error}", path.display()),
            );
            return (None, vec![diagnostic]);
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        let diagnostic = Diagnostic::unlocated(
            Code::ProjectFileUnreadable,
            format!("project file {} is not UTF-8 text", path.display()),
        );
        return (None, vec![diagnostic]);
    };
    check_text(path, &text, sources)
}

fn check_text(
    path: &Path,
    text: &str,
    sources: &mut SourceMap,
) -> (Option<Project>, Vec<Diagnostic>) {
    let file = sources.add(path, mask::mask_literal_secrets(text));
    parse::parse(path, text, file)
}

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity() == Severity::Error)
}
