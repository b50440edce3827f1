//! What a project adds to its systems' fixed schemas: a file per connection under `schemas/`
//! (`schemas/capsule.json`), written by `ferry schema pull <connection>` from the live API and
//! kept in version control, so that `ferry lint` types an account's own fields (Capsule's
//! custom fields) offline, in CI, the same as on the consultant's machine.
//!
//! A file is `{"kind": "<system>", ...}`: the rest is the system's to define. The kind's
//! [`ProjectSchemas`] turns it into schemas that replace the fixed ones of the same name, and
//! its client reads the same file at run time to check that the account still has what was
//! pulled.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use super::client::Call;
use super::{Descriptor, ResolvedConnection};
use crate::check::SchemaRegistry;

/// The folder, next to `ferry.yaml`, that holds the pulled files.
pub const FOLDER: &str = "schemas";

/// How a system's schemas grow with what a project pulled of its account.
pub struct ProjectSchemas {
    /// The system's schemas with the pulled file's contents, replacing those of the same name;
    /// an error says what in the file is wrong.
    pub extend: fn(&Value) -> Result<SchemaRegistry, String>,
    /// Reads what the file holds from the connection's API.
    pub pull: for<'a> fn(&'a ResolvedConnection) -> Call<'a, Value>,
}

/// A pulled file that cannot be used, with why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", .path.display())]
pub struct FileProblem {
    pub path: PathBuf,
    pub reason: String,
}

/// `schemas/<connection>.json` of the project in `project_dir`.
pub fn file_of(project_dir: &Path, connection: &str) -> PathBuf {
    project_dir.join(FOLDER).join(format!("{connection}.json"))
}

/// The pulled file of `connection`, `None` when the project has none.
pub fn read(project_dir: &Path, connection: &str) -> Result<Option<Value>, FileProblem> {
    let path = file_of(project_dir, connection);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|error| FileProblem {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    parse(&path, &text).map(Some)
}

fn parse(path: &Path, text: &str) -> Result<Value, FileProblem> {
    serde_json::from_str(text).map_err(|error| FileProblem {
        path: path.to_path_buf(),
        reason: format!("not valid JSON ({error})"),
    })
}

/// The schemas the pipelines of the project in `project_dir` are checked against: every
/// system's fixed schemas, with each pulled file's over them. Built once per set of files
/// (the same files in another process give the same registry).
pub fn registry_for(project_dir: &Path) -> Result<&'static SchemaRegistry, Vec<FileProblem>> {
    let files = pulled_files(project_dir);
    if files.is_empty() {
        return Ok(super::schemas());
    }
    let cache_key: String = files
        .iter()
        .map(|(path, text)| format!("{}\n{text}\n", path.display()))
        .collect();
    static BUILT: OnceLock<Mutex<HashMap<String, &'static SchemaRegistry>>> = OnceLock::new();
    let built = BUILT.get_or_init(Mutex::default);
    if let Some(registry) = built
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&cache_key)
    {
        return Ok(registry);
    }
    let mut registry = super::schemas().clone();
    let mut problems = Vec::new();
    for (path, text) in &files {
        match extension(path, text) {
            Ok(extension) => registry.merge(extension),
            Err(problem) => problems.push(problem),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // A registry per distinct set of files, kept for the process: a command checks one
    // project, a test process a handful.
    let registry: &'static SchemaRegistry = Box::leak(Box::new(registry));
    built
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(cache_key, registry);
    Ok(registry)
}

/// The `.json` files of `schemas/`, by name, with their text (unreadable ones as problems
/// later: an empty text is not JSON).
fn pulled_files(project_dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(project_dir.join(FOLDER)) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, String)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            (path, text)
        })
        .collect();
    files.sort();
    files
}

fn extension(path: &Path, text: &str) -> Result<SchemaRegistry, FileProblem> {
    let problem = |reason: String| FileProblem {
        path: path.to_path_buf(),
        reason,
    };
    let value = parse(path, text)?;
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| problem("has no `kind` (the system it was pulled from)".into()))?;
    let descriptor = Descriptor::named(kind)
        .ok_or_else(|| problem(format!("`kind: {kind}` is no system ferry knows")))?;
    let schemas = descriptor
        .project_schemas
        .ok_or_else(|| problem(format!("{} has nothing to pull", descriptor.title)))?;
    (schemas.extend)(&value).map_err(problem)
}

/// Reads from the connection's API what its pulled file holds.
pub async fn pull(connection: &ResolvedConnection) -> Result<Value, PullError> {
    let schemas = connection
        .kind
        .project_schemas
        .ok_or(PullError::NothingToPull(connection.kind.title))?;
    (schemas.pull)(connection)
        .await
        .map_err(PullError::Connector)
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0} has no account-specific schemas to pull")]
    NothingToPull(&'static str),
    #[error(transparent)]
    Connector(super::ConnectorError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_without_pulled_files_gets_the_fixed_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let registry = registry_for(dir.path()).unwrap();
        assert!(std::ptr::eq(registry, super::super::schemas()));
    }

    #[test]
    fn a_file_of_no_known_kind_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(FOLDER)).unwrap();
        std::fs::write(file_of(dir.path(), "crm"), r#"{"kind": "salesforce"}"#).unwrap();
        let problems = registry_for(dir.path()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].reason,
            "`kind: salesforce` is no system ferry knows"
        );
        std::fs::write(file_of(dir.path(), "crm"), "{").unwrap();
        let problems = registry_for(dir.path()).unwrap_err();
        assert!(
            problems[0].reason.starts_with("not valid JSON"),
            "{problems:?}"
        );
    }
}
