use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::check::EventSharing;
use crate::diagnostics::{Code, Diagnostic, Severity, SourceMap, render};
use crate::program::Program;
use crate::project;
use crate::runtime::workspace::{find_project_from, project_pipeline_files};

use super::exit;
use super::output::{Format, outln, print_human};

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline files, project files (`ferry.yaml`), or folders searched for `.ferry` files
    /// (and checked for a `ferry.yaml` at their top).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Fail on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

pub fn run(args: Args) -> u8 {
    let (project_files, pipeline_paths) = split_project_files(&args.paths);
    let files = match pipeline_files(&pipeline_paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::USAGE;
        }
    };
    let mut programs = check_roots(&files);
    let linted_names: Vec<String> = programs.iter().flat_map(Program::pipeline_names).collect();
    let checked_projects: Vec<CheckedProject> = project_files
        .iter()
        .map(|path| check_project(path, &linted_names))
        .collect();
    let governing = governing_projects(&project_files, &pipeline_paths);
    let settings: Vec<&project::Project> = governing
        .iter()
        .chain(checked_projects.iter().filter_map(|c| c.project.as_ref()))
        .collect();
    check_across(&mut programs, &settings);
    let reports: Vec<(Vec<Diagnostic>, SourceMap)> = programs
        .into_iter()
        .map(|program| (program.diagnostics, program.sources))
        .chain(
            checked_projects
                .into_iter()
                .map(|checked| (checked.diagnostics, checked.sources)),
        )
        .collect();
    let checked = files.len() + project_files.len();
    let (mut errors, mut warnings) = (0, 0);
    let mut json = Vec::new();
    for (diagnostics, sources) in &reports {
        for diagnostic in diagnostics {
            match diagnostic.severity() {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
        }
        match args.format {
            Format::Human => print_human(diagnostics, sources),
            Format::Json => json.extend(diagnostics.iter().map(|d| render::to_json(d, sources))),
        }
    }
    match args.format {
        Format::Human => eprintln!(
            "{checked} file{} checked: {errors} error{}, {warnings} warning{}",
            plural(checked),
            plural(errors),
            plural(warnings)
        ),
        Format::Json => outln!(
            "{}",
            serde_json::json!({
                "files": checked,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": json,
            })
        ),
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// The checks over every pipeline linted, as one project whose `settings` (the project files)
/// say which pipelines are turned off: who owns which field of a target, and which event two
/// pipelines would both write.
fn check_across(programs: &mut [Program], settings: &[&project::Project]) {
    let disabled: Vec<String> = settings
        .iter()
        .flat_map(|p| p.disabled_pipelines())
        .collect();
    let shared_on_purpose: Vec<(String, String)> = settings
        .iter()
        .flat_map(|p| p.shared_event_pairs())
        .collect();
    let across: Vec<(&Path, &[crate::check::CheckedPipeline])> = programs
        .iter()
        .map(|p| (p.path.as_path(), p.pipelines.as_slice()))
        .collect();
    let owned = crate::check::project_ownership(&across);
    let sharing = EventSharing {
        disabled: &disabled,
        shared_on_purpose: &shared_on_purpose,
    };
    let written_twice = crate::check::project_shared_events(&across, sharing);
    for program in programs.iter_mut() {
        // A file's own pipelines were checked as they loaded without the project file, which
        // may turn one of them off: the project-wide check below replaces that one.
        program
            .diagnostics
            .retain(|d| d.code != Code::EventWrittenTwice);
    }
    for (index, diagnostic) in owned.into_iter().chain(written_twice) {
        // A file's own pipelines were checked against each other as it loaded.
        if !programs[index].diagnostics.contains(&diagnostic) {
            programs[index].diagnostics.push(diagnostic);
        }
    }
}

/// Checks each file that no other given file imports; imported files are checked through their
/// importers, so their functions count as used.
pub(super) fn check_roots(files: &[PathBuf]) -> Vec<Program> {
    let programs: Vec<Program> = files.iter().map(|f| Program::load(f)).collect();
    let imported: BTreeSet<PathBuf> = programs
        .iter()
        .flat_map(Program::imported_files)
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let roots: Vec<Program> = programs
        .into_iter()
        .filter(|p| {
            p.path
                .canonicalize()
                .map_or(true, |path| !imported.contains(&path))
        })
        .collect();
    if roots.is_empty() {
        // Every file imports another (a cycle): check them all so the cycle is reported.
        return files.iter().map(|f| Program::load(f)).collect();
    }
    roots
}

/// Project files named on the command line, plus the `ferry.yaml` at the top of each folder;
/// and the other paths.
fn split_project_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut projects = Vec::new();
    let mut others = Vec::new();
    for path in paths {
        if path.is_dir() {
            let project = path.join(project::FILE_NAME);
            if project.is_file() {
                projects.push(project);
            }
            others.push(path.clone());
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            projects.push(path.clone());
        } else {
            others.push(path.clone());
        }
    }
    (projects, others)
}

/// A project file checked by lint: its diagnostics, and the project when it could be read.
struct CheckedProject {
    project: Option<project::Project>,
    diagnostics: Vec<Diagnostic>,
    sources: SourceMap,
}

/// A project file's diagnostics, errors and warnings; the pipelines it names must be among
/// `linted` or those where `ferry run` looks names up (E0620).
fn check_project(path: &Path, linted: &[String]) -> CheckedProject {
    let mut sources = SourceMap::default();
    let (project, mut diagnostics) = project::check(path, &mut sources);
    if let Some(project) = &project
        && !project.unknown_pipelines(linted).is_empty()
    {
        // Only then are the project's own folders read: `ferry lint .` has linted them already.
        let mut known = linted.to_vec();
        for file in project_pipeline_files(&project.dir) {
            known.extend(Program::load(&file).pipeline_names());
        }
        diagnostics.extend(project.unknown_pipelines(&known));
    }
    CheckedProject {
        project,
        diagnostics,
        sources,
    }
}

/// The projects the linted pipelines belong to that are not checked themselves: the nearest
/// `ferry.yaml` above each path, as `ferry run` finds it. Their settings apply (which pipelines
/// are turned off); their own problems are reported when they are linted (`ferry lint .`).
fn governing_projects(checked: &[PathBuf], pipeline_paths: &[PathBuf]) -> Vec<project::Project> {
    let checked: Vec<PathBuf> = checked
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut found: Vec<PathBuf> = Vec::new();
    for path in pipeline_paths {
        let Ok(path) = path.canonicalize() else {
            continue;
        };
        let folder = if path.is_dir() {
            path.as_path()
        } else {
            path.parent().unwrap_or(&path)
        };
        if let Some(project) = find_project_from(folder)
            && !checked.contains(&project)
            && !found.contains(&project)
        {
            found.push(project);
        }
    }
    found
        .iter()
        .filter_map(|path| project::check(path, &mut SourceMap::default()).0)
        .collect()
}

/// Expands folders into the `.ferry` files under them, sorted.
pub fn pipeline_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)
                .map_err(|e| format!("cannot read folder {}: {e}", path.display()))?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("{} does not exist", path.display()));
        }
    }
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "ferry") {
            files.push(entry);
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
