//! A checked, compiled pipeline with everything the runner needs to know about its ends.

use std::time::Duration;

use crate::check::{Posting, Type};
use crate::connectors::Descriptor;
use crate::lang::{CompiledPipeline, Projection};
use crate::program::{CompileError, Program};
use crate::store::pipeline_version;

/// Why a pipeline could not become a job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{file} has errors; run `ferry lint {file}`")]
    HasErrors { file: String },
    #[error("no pipeline `{name}` in {file}")]
    NoSuchPipeline { name: String, file: String },
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error("`{0}` is not `connection.stream`")]
    NotAnEndpoint(String),
    #[error("`cross_reference {0}` names no id field")]
    NoIdField(String),
    #[error("pipeline `{0}` writes nothing")]
    WritesNothing(String),
}

/// `connection.stream`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub connection: String,
    pub stream: String,
}

impl Endpoint {
    fn parse(dotted: &str) -> Result<Endpoint, JobError> {
        let (connection, stream) = dotted
            .split_once('.')
            .ok_or_else(|| JobError::NotAnEndpoint(dotted.to_string()))?;
        Ok(Endpoint {
            connection: connection.to_string(),
            stream: stream.to_string(),
        })
    }

    /// The key of this end's client among a run's connectors: a connection on local files gets
    /// one client per direction (`file.in`, `file.out`), other connections one for both.
    pub fn connector_key(&self, is_source: bool) -> String {
        if self.is_local_files() {
            let direction = if is_source { "in" } else { "out" };
            format!("{}.{direction}", self.connection)
        } else {
            self.connection.clone()
        }
    }

    /// Whether this end is a connection on local files (its descriptor's `local_files`).
    pub fn is_local_files(&self) -> bool {
        Descriptor::is_local_files(&self.connection)
    }

    /// `connection.stream`, as the store names collections.
    pub fn collection(&self) -> String {
        format!("{}.{}", self.connection, self.stream)
    }
}

/// Which id the sink's cross reference links to the target: `cross_reference capsule.parties.id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    /// `capsule.parties`
    pub collection: String,
    /// `id`, read from the record (from `data.object` of an event).
    pub field: String,
}

/// One map's sink: where its records go, how they are found again, what links them.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step's name (the pipeline's, for a pipeline without `step`s).
    pub name: String,
    pub sink: Endpoint,
    pub match_keys: Vec<String>,
    pub link: LinkSpec,
    /// `post`: how the sink posts what it wrote.
    pub post: Option<Posting>,
    /// The keys the sink's records are known by, the id first; the others are stored with
    /// each cross reference.
    pub keys: Vec<String>,
    /// The `map to` target's record type (`any` for a target without a schema): which of its
    /// objects an update sends whole.
    pub target: Type,
    /// `only on create ...`: fields written when the record is created, left out of updates.
    pub only_on_create: Vec<String>,
    /// `on conflict newest by FIELD`; `None` dead-letters the later of two source records that
    /// match one target.
    pub newest_by: Option<String>,
}

pub struct Job {
    pub name: String,
    pub compiled: CompiledPipeline,
    /// The parts of a source record the pipeline reads; only those are converted for it.
    pub reads: Projection,
    /// SHA-256 of the pipeline file's text, recorded with every audit entry.
    pub version: String,
    pub source: Endpoint,
    /// Where each source record wraps its object (the source schema's `object_at`).
    pub object_at: Option<&'static str>,
    pub events: Vec<String>,
    /// The writes of each record, in order (one for a pipeline without `step`s).
    pub steps: Vec<Step>,
    pub poll_every: Option<Duration>,
}

impl Job {
    /// Compiles pipeline `name` of `program`, which must be free of errors.
    pub fn new(program: &Program, name: &str) -> Result<Job, JobError> {
        let file = || program.path.display().to_string();
        if program.has_errors() {
            return Err(JobError::HasErrors { file: file() });
        }
        let checked = program
            .pipelines
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| JobError::NoSuchPipeline {
                name: name.to_string(),
                file: file(),
            })?;
        let compiled = program.compile(name)?;
        let text = program
            .sources
            .get(checked.file)
            .map(|file| file.text.to_string())
            .unwrap_or_default();
        let source = Endpoint::parse(&checked.source)?;
        let mut steps = Vec::new();
        for step in &checked.steps {
            let link = match &step.cross_reference {
                Some(dotted) => {
                    let (collection, field) = dotted
                        .rsplit_once('.')
                        .ok_or_else(|| JobError::NoIdField(dotted.clone()))?;
                    LinkSpec {
                        collection: collection.to_string(),
                        field: field.to_string(),
                    }
                }
                None => LinkSpec {
                    collection: source.collection(),
                    field: String::new(),
                },
            };
            steps.push(Step {
                name: step.name.clone(),
                sink: Endpoint::parse(&step.sink)?,
                match_keys: step.match_keys.clone(),
                link,
                post: step.post,
                keys: crate::connectors::schemas()
                    .keys(&step.sink)
                    .iter()
                    .map(|key| key.name.clone())
                    .collect(),
                target: crate::connectors::schemas()
                    .targets
                    .get(&step.target)
                    .map_or(Type::Any, |target| target.record.clone()),
                only_on_create: step.only_on_create.clone(),
                newest_by: step.newest_by.clone(),
            });
        }
        if steps.is_empty() {
            return Err(JobError::WritesNothing(name.to_string()));
        }
        Ok(Job {
            name: name.to_string(),
            reads: compiled.projection(),
            compiled,
            version: pipeline_version(&text),
            object_at: crate::connectors::schemas()
                .sources
                .get(&checked.source)
                .and_then(|schema| schema.object_at),
            source,
            events: checked.events.clone(),
            steps,
            poll_every: checked
                .poll_every
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs),
        })
    }

    /// The object a source record is about: the record itself, or where the source's schema
    /// says its records wrap it (Stripe's events: `data.object`).
    pub fn object_of<'d>(&self, data: &'d serde_json::Value) -> &'d serde_json::Value {
        match self.object_at {
            Some(pointer) => data.pointer(pointer).unwrap_or(data),
            None => data,
        }
    }

    /// The first step, whose link groups the records of a page.
    pub fn first(&self) -> Option<&Step> {
        self.steps.first()
    }

    /// The id that links `record` to `step`'s target: the step's cross reference field, or the
    /// source record's own id.
    pub fn link_id(
        &self,
        step: &Step,
        record_id: &str,
        data: &serde_json::Value,
    ) -> Option<String> {
        if step.link.field.is_empty() {
            return Some(record_id.to_string());
        }
        match self.object_of(data).get(&step.link.field)? {
            serde_json::Value::String(id) if !id.is_empty() => Some(id.clone()),
            serde_json::Value::Number(id) => Some(id.to_string()),
            _ => None,
        }
    }
}
